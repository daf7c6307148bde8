package dev.carousel.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the real CLI in this JVM and captures what it prints, for tests in any package. */
public final class CliRunner {
    private CliRunner() {}

    /** Exit code and captured standard output and error of one CLI call. */
    public record Run(int exit, String out, String err) {}

    /**
     * The command line that runs the CLI with {@code args} in a separate JVM on this build's classes, as
     * jobs/carousel does (for tests that kill it).
     */
    public static java.util.List<String> separateJvm(String... args) throws java.io.IOException {
        return separateJvm(java.util.List.of(), java.util.List.of(), args);
    }

    /**
     * As {@link #separateJvm(String...)}, with JVM options (e.g. {@code -Dspark.hadoop.KEY=VALUE}) and the jars of
     * this test class path whose names contain one of {@code jarsNamed} (e.g. a file system client a cluster adds).
     */
    public static java.util.List<String> separateJvm(java.util.List<String> jvmOptions, java.util.List<String> jarsNamed,
                                                     String... args) throws java.io.IOException {
        java.util.List<String> cmd = new java.util.ArrayList<>();
        cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx2g");
        cmd.addAll(jvmOptions);
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens")) {
                cmd.add(arg);
            }
        }
        String deps = java.nio.file.Files.readString(java.nio.file.Path.of("target", "classpath.txt"),
                StandardCharsets.UTF_8).trim();
        cmd.add("-cp");
        StringBuilder extra = new StringBuilder();
        for (String jar : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = java.nio.file.Path.of(jar).getFileName().toString();
            if (jarsNamed.stream().anyMatch(name::contains)) {
                extra.append(java.io.File.pathSeparator).append(jar);
            }
        }
        cmd.add(java.nio.file.Path.of("target", "classes").toAbsolutePath() + java.io.File.pathSeparator + deps + extra);
        cmd.add(Main.class.getName());
        cmd.addAll(java.util.List.of(args));
        return cmd;
    }

    public static Run cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
