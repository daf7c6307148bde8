package dev.carousel.cli;

import dev.carousel.config.ConfigError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code carousel}: the command-line entry point. Exit codes: 0 success, 1 internal failure (or a failed sweep
 * cell or expectation), 2 bad input (config, arguments, files) reported in one line before any work starts, 3 a
 * {@code train} run that diverged (its results are committed; a sweep's diverged cells are results and exit 0).
 */
@Command(name = "carousel", mixinStandardHelpOptions = true, versionProvider = Provenance.Version.class,
        description = "Train recurrent networks and measure how gradients flow back through time.",
        subcommands = {SweepCommand.class, ExperimentCommand.class, TrainCommand.class, ProbeCommand.class, ValidateCommand.class, ReportCommand.class})
public final class Main implements Runnable {
    public static final int BAD_INPUT = 2;
    /** A {@code train} run stopped because its loss, gradient or parameters became non-finite. */
    public static final int DIVERGED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (sweep, experiment, train, probe, validate, report)");
    }

    public static void main(String[] args) {
        exit(execute(args));
    }

    /**
     * Ends the driver with exit code {@code code}. A YARN cluster-mode driver is the exception: its application master
     * runs main in a thread and reports the application SUCCEEDED only when main returns; System.exit there, even
     * with 0, ends the JVM first, and YARN records the application FAILED ("Shutdown hook called before final status
     * was reported") and starts it again. There, 0 returns, and any other code is thrown, which the application master
     * reports as the application's failure, with the message.
     */
    static void exit(int code) {
        if (!SparkSessions.yarnClusterDriver()) {
            System.exit(code);
        }
        if (code != 0) {
            throw new IllegalStateException("carousel exited with status " + code + " (the driver's stderr says why)");
        }
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigError || e instanceof IllegalArgumentException) {
                commandLine.getErr().println("carousel: " + oneLine(e.getMessage()));
                return BAD_INPUT;
            }
            commandLine.getErr().println("carousel: failed: " + oneLine(String.valueOf(e)));
            e.printStackTrace(commandLine.getErr());
            return 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("carousel: " + oneLine(e.getMessage()));
            c.getErr().println("(see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return BAD_INPUT;
        });
        return cli.execute(args);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
