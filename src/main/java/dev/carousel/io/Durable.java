package dev.carousel.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Flushes local files and directories to the storage devices, so that what a commit names survives a power loss or
 * a kernel crash, not only the death of the process. A file's bytes are forced with {@link FileChannel#force};
 * a directory's entries (a new name, a rename) are forced by opening the directory and forcing it, which Linux and
 * macOS honour. Where the platform refuses to open a directory (Windows), directory entries are left to the file
 * system's own journal: the call does nothing there.
 */
public final class Durable {
    private Durable() {}

    /** Forces the bytes and metadata of regular file {@code file}. */
    public static void force(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot flush " + file + " to disk: " + e.getMessage(), e);
        }
    }

    /** Forces the entries of directory {@code dir} (the names created, renamed or removed in it). */
    public static void forceDirectory(Path dir) {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            return; // the platform cannot open a directory: nothing more to do from Java
        }
        try (ch) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse fsync on a directory opened read-only (EINVAL, EBADF): their journal orders it.
            if (!Files.isDirectory(dir)) {
                throw new UncheckedIOException("cannot flush directory " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** Forces every file under {@code root}, then every directory from the deepest up, {@code root} last. */
    public static void forceTree(Path root) {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        for (Path p : all) {
            if (Files.isRegularFile(p)) {
                force(p);
            }
        }
        for (Path p : all) {
            if (Files.isDirectory(p)) {
                forceDirectory(p);
            }
        }
    }
}
