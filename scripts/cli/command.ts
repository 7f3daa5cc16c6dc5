/**
 * The frame every command runs in: `--help` (or `-h`) prints its help and exits 0; a failure prints
 * one line that says what failed, never a stack trace, and exits with the command's code for it.
 */
export class UsageError extends Error {}

export async function runCommand(
  help: string,
  main: (argv: string[]) => Promise<number>,
): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help.trim());
    process.exitCode = 0;
    return;
  }
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(error instanceof UsageError ? `${message}\n\n${help.trim()}` : message);
    process.exitCode = 2;
  }
}
