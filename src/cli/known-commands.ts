/** The commands and topics a config knows (hidden ones left out), for "did you mean". */
import type { Config } from '@oclif/core/config';
import type { KnownCommands } from './usage-errors.js';

export function knownCommands(config: Pick<Config, 'commands' | 'topics'>): KnownCommands {
  return {
    commands: config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases]),
    topics: config.topics.filter((topic) => !topic.hidden).map((topic) => topic.name),
  };
}
