import { Flags } from '../../cli/oclif.js';
import { locateAuditLog } from '../../cli/audit-location.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { verifyAuditLog, type AuditVerifyReport } from '../../core/audit/index.js';
import { plural } from '../../core/plural.js';

export default class AuditVerify extends BaseCommand {
  static override summary = 'check that the audit log is whole: every line parses and the hash chain holds';
  static override description =
    'Checks every line of the audit log: valid JSON, its seq, and its prev hash (SHA-256 of the previous line). ' +
    'An edited, deleted, reordered or inserted line breaks the chain: the first broken line is reported and the ' +
    'exit code is 1. Otherwise exit 0, printing the number of entries and the hash of the last line (the head): ' +
    'record the head elsewhere, and later --head HASH checks that it is still in the log (exit 1 if it was cut ' +
    'off or rewritten). A missing or empty log is exit 1 with --head, or when app.toml stores a fingerprint.';
  static override examples = [
    { description: 'check the chain', command: '<%= config.bin %> audit verify --settings ./config' },
    {
      description: 'nightly: verify and record the head (then copy that file off the host)',
      command: '<%= config.bin %> audit verify --json | jq -r .head >> ~/liberty-audit-heads',
    },
  ];
  static override flags = {
    ...settingsFlag,
    head: Flags.string({ summary: 'an earlier head that must still be in the log', helpValue: 'HASH' }),
  };

  async run(): Promise<AuditVerifyReport> {
    const { flags } = await this.parse(AuditVerify);
    const { path, fingerprintStored } = await locateAuditLog(flags.settings);
    const report = await verifyAuditLog(path, { head: flags.head, fingerprintStored });
    if (report.ok) {
      this.say(`ok: ${plural(report.entries, 'entry', 'entries')}, chain intact`);
      this.say(`head ${report.head ?? '(empty log)'}`);
    } else {
      this.say(`broken: ${report.reason ?? `line ${report.firstBadLine}: chain does not hold`}`);
      this.say(`${plural(report.entries, 'line')} in the log`);
      this.reportProblems();
    }
    const earlier = report.earlierHead;
    if (earlier)
      this.say(
        `earlier head ${earlier.hash}: ${earlier.line === null ? 'not in the log' : `still in the log (line ${earlier.line} of ${report.entries})`}`,
      );
    return report;
  }
}
