package dev.carousel.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicDirectoryTest {

    @TempDir
    Path tmp;

    /** Relative path → content of every regular file under {@code root}. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString().replace('\\', '/'), Files.readString(p));
            }
        }
        return out;
    }

    /** Names of the direct children of {@code dir}, sorted. */
    private static Set<String> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void commitMakesTheTargetAppearWithAllFiles() throws IOException {
        Path parent = tmp.resolve("runs"); // does not exist yet: begin() creates it
        Path target = parent.resolve("ckpt");
        try (AtomicDirectory out = AtomicDirectory.begin(target)) {
            Path s = out.staging();
            assertEquals(parent.toAbsolutePath(), s.getParent(), "staging must live beside the target");
            assertTrue(s.getFileName().toString().startsWith(".staging-ckpt-"), s.toString());
            assertTrue(Files.isDirectory(s));
            write(s.resolve("a.txt"), "alpha");
            write(s.resolve("b.bin"), "beta");
            write(s.resolve("sub/c.txt"), "gamma");
            assertFalse(Files.exists(target), "nothing may appear at the target before commit");
            out.commit();
            assertFalse(Files.exists(s), "staging is renamed away by commit");
        }
        assertTrue(Files.isDirectory(target));
        assertEquals(Map.of("a.txt", "alpha", "b.bin", "beta", "sub/c.txt", "gamma"), tree(target));
        assertEquals(Set.of("ckpt"), children(parent), "commit and close leave nothing beside the target");
    }

    @Test
    void closeWithoutCommitLeavesNoTargetAndNoStaging() throws IOException {
        Path target = tmp.resolve("ckpt");
        Path staging;
        try (AtomicDirectory out = AtomicDirectory.begin(target)) {
            staging = out.staging();
            write(staging.resolve("a.txt"), "alpha");
            write(staging.resolve("deep/er/b.txt"), "beta");
        }
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(staging));
        assertEquals(Set.of(), children(tmp));
    }

    @Test
    void anExceptionWhileWritingDiscardsTheStagingAndKeepsTheOldTarget() throws IOException {
        Path target = tmp.resolve("ckpt");
        write(target.resolve("old.txt"), "old");
        IllegalStateException boom = assertThrows(IllegalStateException.class, () -> {
            try (AtomicDirectory out = AtomicDirectory.begin(target)) {
                write(out.staging().resolve("new.txt"), "new");
                throw new IllegalStateException("writer failed half way");
            }
        });
        assertEquals("writer failed half way", boom.getMessage());
        assertEquals(Map.of("old.txt", "old"), tree(target));
        assertEquals(Set.of("ckpt"), children(tmp));
    }

    @Test
    void commitOverAnExistingTargetReplacesItCompletely() throws IOException {
        Path target = tmp.resolve("ckpt");
        write(target.resolve("a.txt"), "old a");
        write(target.resolve("only-old.txt"), "old only");
        write(target.resolve("sub/deep.txt"), "old deep");
        write(tmp.resolve("neighbour/keep.txt"), "neighbour");
        try (AtomicDirectory out = AtomicDirectory.begin(target)) {
            write(out.staging().resolve("a.txt"), "new a");
            write(out.staging().resolve("only-new.txt"), "new only");
            out.commit();
        }
        assertEquals(Map.of("a.txt", "new a", "only-new.txt", "new only"), tree(target),
                "no file of the old version may survive");
        assertEquals(Set.of("ckpt", "neighbour"), children(tmp), "no .replaced-*/.staging-* siblings remain");
        assertEquals(Map.of("keep.txt", "neighbour"), tree(tmp.resolve("neighbour")));
    }

    @Test
    void repeatedReplacementsLeaveOnlyTheLastVersion() throws IOException {
        Path target = tmp.resolve("ckpt");
        for (int v = 0; v < 5; v++) {
            try (AtomicDirectory out = AtomicDirectory.begin(target)) {
                write(out.staging().resolve("v" + v + ".txt"), "version " + v);
                out.commit();
            }
        }
        assertEquals(Map.of("v4.txt", "version 4"), tree(target));
        assertEquals(Set.of("ckpt"), children(tmp));
    }

    @Test
    void aSecondCommitIsRejectedAndKeepsTheCommittedTarget() throws IOException {
        Path target = tmp.resolve("ckpt");
        try (AtomicDirectory out = AtomicDirectory.begin(target)) {
            write(out.staging().resolve("a.txt"), "alpha");
            out.commit();
            assertThrows(IllegalStateException.class, out::commit);
        }
        assertEquals(Map.of("a.txt", "alpha"), tree(target), "a repeated commit must not lose the target");
        assertEquals(Set.of("ckpt"), children(tmp));
    }

    @Test
    void aFailedCommitPutsThePreviousTargetBack() throws IOException {
        Path target = tmp.resolve("ckpt");
        write(target.resolve("old.txt"), "old");
        try (AtomicDirectory out = AtomicDirectory.begin(target)) {
            write(out.staging().resolve("new.txt"), "new");
            // Another process's cleanStale(parent) removes the live staging directory, so the final rename fails.
            AtomicDirectory.cleanStale(tmp);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, out::commit);
            assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
        }
        assertEquals(Map.of("old.txt", "old"), tree(target), "the previous version must survive a failed commit");
        assertEquals(Set.of("ckpt"), children(tmp));
    }

    @Test
    void cleanStaleRemovesStagingAndReplacedDirectoriesButNothingElse() throws IOException {
        String id = UUID.randomUUID().toString();
        write(tmp.resolve(".staging-ckpt-" + id + "/a.txt"), "partial");
        write(tmp.resolve(".staging-ckpt-" + id + "/sub/b.txt"), "partial");
        write(tmp.resolve(".staging-other-" + UUID.randomUUID() + "/c.txt"), "partial");
        write(tmp.resolve(".replaced-ckpt-" + UUID.randomUUID() + "/old.txt"), "old");
        Files.createDirectory(tmp.resolve(".replaced-ckpt-" + UUID.randomUUID())); // empty
        // Kept: the targets themselves, look-alikes that do not match the prefixes, and nested matches.
        write(tmp.resolve("ckpt/model.npy"), "live");
        write(tmp.resolve("other/x.txt"), "live");
        write(tmp.resolve("staging-ckpt-1/x.txt"), "no leading dot");
        write(tmp.resolve(".stagingckpt/x.txt"), "no dash");
        write(tmp.resolve(".Replaced-ckpt-1/x.txt"), "different case");
        write(tmp.resolve("ckpt.staging-1/x.txt"), "prefix not at the start");
        write(tmp.resolve("nested/.staging-ckpt-" + id + "/x.txt"), "not a direct child");
        write(tmp.resolve(".hidden"), "dotfile");
        write(tmp.resolve("notes.txt"), "notes");

        AtomicDirectory.cleanStale(tmp);

        assertEquals(new TreeSet<>(List.of("ckpt", "other", "staging-ckpt-1", ".stagingckpt", ".Replaced-ckpt-1",
                "ckpt.staging-1", "nested", ".hidden", "notes.txt")), children(tmp));
        assertEquals(Map.of("model.npy", "live"), tree(tmp.resolve("ckpt")));
        assertEquals(Map.of(".staging-ckpt-" + id + "/x.txt", "not a direct child"), tree(tmp.resolve("nested")));
        assertEquals("notes", Files.readString(tmp.resolve("notes.txt")));
    }

    @Test
    void cleanStaleOfAMissingOrEmptyParentDoesNothing() throws IOException {
        AtomicDirectory.cleanStale(tmp.resolve("does-not-exist"));
        assertFalse(Files.exists(tmp.resolve("does-not-exist")));
        AtomicDirectory.cleanStale(tmp);
        assertEquals(Set.of(), children(tmp));
    }

    /**
     * A crash between commit's two renames leaves the previous version only as {@code .replaced-*} (and the new
     * one as {@code .staging-*}, which may be incomplete as far as a later process can tell). Cleaning up must
     * not delete the only complete copy: the previous version is put back.
     */
    @Test
    void cleanStaleRestoresAReplacedTargetWhenACrashLeftNoTarget() throws IOException {
        write(tmp.resolve(".replaced-ckpt-" + UUID.randomUUID() + "/old.txt"), "old complete");
        write(tmp.resolve(".staging-ckpt-" + UUID.randomUUID() + "/new.txt"), "new, maybe partial");

        AtomicDirectory.cleanStale(tmp);

        assertEquals(Set.of("ckpt"), children(tmp));
        assertEquals(Map.of("old.txt", "old complete"), tree(tmp.resolve("ckpt")));
    }

    // ---------------------------------------------------------------------------------------------
    // A concurrent reader

    private static final int FILES_PER_VERSION = 12;
    private static final int MAX_VERSIONS = 400;
    private static final long MAX_MILLIS = 15_000;

    private static String content(int version, int file) {
        return "version=" + version + " file=" + file + " " + "x".repeat(200 + 37 * file) + " end";
    }

    /** What one read of the target saw: a version per file name (-1 for unparseable content). */
    private record Observation(boolean exists, boolean stillLive, Map<String, Integer> versions) {}

    /**
     * Reads the target through one open directory handle (a {@link SecureDirectoryStream}, so the listing and
     * every file come from the same directory even if the path is renamed meanwhile), then checks whether that
     * directory is still the one at the target path. Holding the handle keeps its inode from being reused.
     */
    private static Observation observe(Path target) throws IOException {
        DirectoryStream<Path> ds;
        try {
            ds = Files.newDirectoryStream(target);
        } catch (NoSuchFileException e) {
            return new Observation(false, false, Map.of());
        }
        try (ds) {
            assumeTrue(ds instanceof SecureDirectoryStream, "needs openat (SecureDirectoryStream) on this platform");
            @SuppressWarnings("unchecked")
            SecureDirectoryStream<Path> sds = (SecureDirectoryStream<Path>) ds;
            Object openedKey = sds.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
            List<String> names = new ArrayList<>();
            for (Path p : sds) {
                names.add(p.getFileName().toString());
            }
            Map<String, Integer> versions = new TreeMap<>();
            for (String name : names) {
                String text;
                try (SeekableByteChannel ch = sds.newByteChannel(Path.of(name), EnumSet.of(StandardOpenOption.READ))) {
                    ByteBuffer buf = ByteBuffer.allocate((int) ch.size() + 1);
                    while (ch.read(buf) > 0) {
                        // read to the end
                    }
                    text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
                } catch (NoSuchFileException e) {
                    continue; // deleted since the listing: only possible once the directory was replaced
                }
                versions.put(name, parseVersion(name, text));
            }
            Object liveKey;
            try {
                liveKey = Files.readAttributes(target, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            } catch (NoSuchFileException e) {
                liveKey = null;
            }
            assertTrue(openedKey != null, "the file system must report file keys");
            return new Observation(true, openedKey.equals(liveKey), versions);
        }
    }

    /** The version a file names if its content is exactly what the writer wrote for that name, else -1. */
    private static int parseVersion(String name, String text) {
        if (!name.startsWith("f") || !text.startsWith("version=")) {
            return -1;
        }
        int file = Integer.parseInt(name.substring(1));
        int version;
        try {
            version = Integer.parseInt(text.substring("version=".length(), text.indexOf(' ')));
        } catch (RuntimeException e) {
            return -1;
        }
        return text.equals(content(version, file)) ? version : -1;
    }

    @Test
    void aConcurrentReaderNeverSeesAPartiallyWrittenDirectory() throws Exception {
        Path target = tmp.resolve("ckpt");
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        long deadline = System.currentTimeMillis() + MAX_MILLIS;
        int[] written = {0};
        Thread writer = new Thread(() -> {
            try {
                for (int v = 1; v <= MAX_VERSIONS && !stop.get() && System.currentTimeMillis() < deadline; v++) {
                    try (AtomicDirectory out = AtomicDirectory.begin(target)) {
                        for (int f = 0; f < FILES_PER_VERSION; f++) {
                            Files.writeString(out.staging().resolve("f" + f), content(v, f));
                        }
                        out.commit();
                    }
                    written[0] = v;
                }
            } catch (Throwable t) {
                writerError.set(t);
            } finally {
                done.set(true);
            }
        }, "atomic-directory-writer");
        writer.start();

        int reads = 0;
        int missing = 0;
        int complete = 0;
        int replacedWhileReading = 0;
        int lastVersion = 0;
        Set<Integer> seen = new TreeSet<>();
        Set<String> allNames = new TreeSet<>();
        for (int f = 0; f < FILES_PER_VERSION; f++) {
            allNames.add("f" + f);
        }
        try {
            while (!done.get() && reads < 2_000_000 && System.currentTimeMillis() < deadline + 5_000) {
                Observation o = observe(target);
                reads++;
                if (!o.exists()) {
                    missing++;
                    continue;
                }
                Set<Integer> versions = new TreeSet<>(o.versions().values());
                if (versions.contains(-1)) {
                    fail("read " + reads + ": a file with content that is not a complete version: " + o);
                }
                if (versions.size() > 1) {
                    fail("read " + reads + ": files of several versions in one directory: " + o);
                }
                if (o.stillLive()) {
                    // The directory read was the target from start to end: it must be one whole version.
                    assertEquals(allNames, o.versions().keySet(), "read " + reads + ": a partial directory: " + o);
                } else if (!o.versions().keySet().equals(allNames)) {
                    // Replaced (and its files being deleted) while being read: the only legitimate way to see a
                    // subset; whatever was seen must still belong to a single version.
                    replacedWhileReading++;
                }
                if (!versions.isEmpty()) {
                    int v = versions.iterator().next();
                    assertTrue(v >= lastVersion, "read " + reads + ": version went back from " + lastVersion + " to " + v);
                    lastVersion = v;
                    seen.add(v);
                    if (o.versions().size() == FILES_PER_VERSION) {
                        complete++;
                    }
                }
            }
        } finally {
            stop.set(true);
            writer.join(MAX_MILLIS + 10_000);
        }
        assertFalse(writer.isAlive(), "writer did not finish");
        assertNull(writerError.get(), () -> "writer failed: " + writerError.get());
        System.out.printf("AtomicDirectory: %d versions written; %d reads: %d complete, %d without target, "
                + "%d of a directory replaced while being read; %d distinct versions seen%n",
                written[0], reads, complete, missing, replacedWhileReading, seen.size());
        assertTrue(written[0] >= 20, "writer wrote only " + written[0] + " versions");
        assertTrue(complete > 0 && seen.size() >= 2, "the reader must actually observe several versions; saw " + seen);
        // After the last commit the target is exactly the last version, with nothing left beside it.
        Observation last = observe(target);
        assertTrue(last.stillLive());
        assertEquals(allNames, last.versions().keySet());
        assertEquals(Set.of(written[0]), new TreeSet<>(last.versions().values()));
        assertEquals(Set.of("ckpt"), children(tmp));
    }
}
