import { Flags } from '../../cli/oclif.js';
import { locateAuditLog } from '../../cli/audit-location.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { systemClock } from '../../cli/context.js';
import { renderTable } from '../../cli/table.js';
import { filterAuditEntries, parseEventFilter, parseTimeBound, readAuditLog, type AuditEntry } from '../../core/audit/index.js';
import { plural } from '../../core/plural.js';

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
    const now = systemClock();
    const filter = {
      since: flags.since ? parseTimeBound(flags.since, now) : undefined,
      until: flags.until ? parseTimeBound(flags.until, now) : undefined,
      event: flags.event === undefined ? undefined : parseEventFilter(flags.event),
      operator: flags.operator,
      field: flags.field,
      limit: flags.limit,
    };
    const listing = await readAuditLog((await locateAuditLog(flags.settings)).path);
    const entries = filterAuditEntries(listing.entries, filter);
    if (entries.length === 0) this.note('no matching events');
    const rows = entries.map((entry) => [String(entry.seq), entry.ts, entry.operator, entry.event, entry.field ?? '-', entry.outcome]);
    if (rows.length > 0) renderTable(['seq', 'time', 'operator', 'event', 'field', 'outcome'], rows).forEach((line) => this.say(line));
    for (const bad of listing.badLines)
      this.note(`liberty-crypto: problem: audit log line ${bad.line} is not an entry (${bad.reason}): left out`);
    const unnamed = listing.badLineCount - listing.badLines.length;
    if (unnamed > 0) this.note(`liberty-crypto: problem: ${plural(unnamed, 'more audit log line')} left out: not entries either`);
    const broken = listing.chainBreak;
    // a line left out breaks the chain where it is: its reason was just given
    const why = broken && broken.line !== listing.badLines[0]?.line ? ` (${broken.reason})` : '';
    if (broken)
      this.note(`liberty-crypto: warning: the audit log's hash chain breaks at line ${broken.line}${why}: run liberty-crypto audit verify`);
    if (listing.badLineCount > 0) this.reportProblems();
    return entries;
  }
}
