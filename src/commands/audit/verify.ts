import { locateAuditLog } from '../../cli/audit-location.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { verifyAuditLog, type AuditVerifyReport } from '../../core/audit-log.js';

export default class AuditVerify extends BaseCommand {
  static override summary = 'check that the audit log is whole: every line parses and the hash chain holds';
  static override description =
    'Checks every line of the audit log: valid JSON, its seq, and its prev hash (SHA-256 of the previous line). ' +
    'An edited, deleted, reordered or inserted line breaks the chain: the first broken line is reported and the ' +
    'exit code is 1. Otherwise exit 0, printing the number of entries and the hash of the last line (the head): ' +
    'record the head elsewhere to detect a truncation later.';
  static override examples = [
    { description: 'check the chain', command: '<%= config.bin %> audit verify --settings ./config' },
    { description: 'nightly: verify and record the head (then copy that file off the host)', command: '<%= config.bin %> audit verify --json | jq -r .head >> ~/liberty-audit-heads' },
  ];
  static override flags = { ...settingsFlag };

  async run(): Promise<AuditVerifyReport> {
    const { flags } = await this.parse(AuditVerify);
    const report = await verifyAuditLog(await locateAuditLog(flags.settings));
    if (report.ok) {
      this.say(`ok: ${report.entries} entries, chain intact`);
      this.say(`head ${report.head ?? '(empty log)'}`);
    } else {
      this.say(`broken: ${report.reason ?? `line ${report.firstBadLine}: chain does not hold`}`);
      this.say(`${report.entries} lines in the log`);
      this.reportProblems();
    }
    return report;
  }
}
