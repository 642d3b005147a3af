import { Flags } from '../../cli/oclif.js';
import { locateAuditLog } from '../../cli/audit-location.js';
import { auditFilter, auditTableLines, listingProblems } from '../../cli/audit-listing.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { systemClock } from '../../cli/context.js';
import { filterAuditEntries, readAuditLog, type AuditEntry } from '../../core/audit/index.js';

export default class Audit extends BaseCommand {
  static override summary = 'list audit log events, newest first';
  static override description =
    'Reads the append-only audit log (LIBERTY_AUDIT_LOG, else app.toml [audit] path, else <settings>/audit.jsonl) ' +
    'and lists its events newest first: time, operator, event, field, outcome. --since and --until take a date ' +
    '(2026-11-28, 2026-11-28T09:00Z) or a duration back from now (30m, 24h, 7d, 2w). --json gives the entries as ' +
    'an array. Lines that are not entries are left out and named on stderr (exit 1); a broken hash chain is ' +
    'warned about on stderr (audit verify checks it). Reading the log needs no permission.';
  static override examples = [
    { description: 'the last day', command: '<%= config.bin %> audit --since 24h' },
    { description: 'who revealed what, for a script', command: '<%= config.bin %> audit --event reveal --json' },
    {
      description: 'every access to one secret',
      command: '<%= config.bin %> audit --field connectors.toml:pools.main.password --limit 20',
    },
  ];
  static override flags = {
    ...settingsFlag,
    since: Flags.string({ summary: 'only events at or after this date or duration ago', helpValue: 'WHEN' }),
    until: Flags.string({ summary: 'only events at or before this date or duration ago', helpValue: 'WHEN' }),
    event: Flags.string({ summary: 'only this event (keys matches keys.rotate and keys.drop-legacy)', helpValue: 'EVENT' }),
    operator: Flags.string({ summary: 'only this operator', helpValue: 'NAME' }),
    field: Flags.string({ summary: 'only this field (FILE:KEY) or file', helpValue: 'FIELD' }),
    limit: Flags.integer({ summary: 'at most this many events', min: 1, helpValue: 'N' }),
  };

  async run(): Promise<AuditEntry[]> {
    const { flags } = await this.parse(Audit);
    const filter = auditFilter(flags, systemClock());
    const listing = await readAuditLog((await locateAuditLog(flags.settings)).path);
    const entries = filterAuditEntries(listing.entries, filter);
    if (entries.length === 0) this.note('no matching events');
    auditTableLines(entries).forEach((line) => this.say(line));
    listingProblems(listing).forEach((line) => this.note(line));
    if (listing.badLineCount > 0) this.reportProblems();
    return entries;
  }
}
