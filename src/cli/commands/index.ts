import type { CliCommand } from '../command.js';

/**
 * Every `blurmm` subcommand. Add one line per command file.
 */
export async function loadCommands(): Promise<CliCommand[]> {
  const modules = await Promise.all([
    // core (issue 2)
    import('./info.js'),
    import('./estimate.js'),
    import('./analyze.js'),
    // readers (issues 3, 4)
    import('./region.js'),
    // overlays (issue 5)
    import('./serve.js'),
    // focuslitenn (issue 6)
    import('./train-focus.js'),
    import('./compare-estimators.js'),
  ]);
  return modules.map((m) => m.command);
}
