package dev.carousel.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a directory so that readers see either nothing or all of it: files go into a hidden staging
 * directory beside the target (inside the same parent, so inside the output folder), which is then
 * renamed onto the target in one atomic rename. A crash leaves a {@code .staging-*} directory, and a
 * crash while replacing a target may leave the previous version as {@code .replaced-*};
 * {@link #cleanStale(Path)} removes the former and puts the latter back if no target exists.
 *
 * <p>Readers that resolve the target path see either no directory or a complete one. A reader that already
 * holds the previous directory open while it is replaced sees its files disappear as it is deleted.
 */
public final class AtomicDirectory implements AutoCloseable {
    private static final String STAGING = ".staging-";
    private static final String REPLACED = ".replaced-";
    private static final int UUID_LENGTH = 36;

    private final Path target;
    private final Path staging;
    private boolean committed;

    private AtomicDirectory(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** Starts writing {@code target}; its parent is created if needed. */
    public static AtomicDirectory begin(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
            Path staging = parent.resolve(STAGING + target.getFileName() + "-" + UUID.randomUUID());
            Files.createDirectory(staging);
            return new AtomicDirectory(target, staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory in " + parent + ": " + e.getMessage(), e);
        }
    }

    /** Where to write the directory's contents before {@link #commit()}. */
    public Path staging() {
        return staging;
    }

    /**
     * Renames the staging directory onto the target. An existing target is replaced: it is first moved
     * aside (readers then briefly see no target rather than a mixed one) and deleted after the rename.
     * If the rename fails, the previous target is moved back. May be called once.
     *
     * <p>The staging directory's files and directories are flushed to disk before the rename, and the parent's
     * entries after it ({@link Durable}): a committed name never points at bytes that a power loss can take.
     */
    public void commit() {
        if (committed) {
            throw new IllegalStateException(target + " is already committed");
        }
        try {
            Durable.forceTree(staging);
        } catch (UncheckedIOException e) { // the target is untouched so far
            throw new UncheckedIOException("commit of " + target + " failed: " + e.getMessage(), e.getCause());
        }
        Path old = null;
        try {
            if (Files.exists(target)) {
                old = target.resolveSibling(REPLACED + target.getFileName() + "-" + UUID.randomUUID());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException | DirectoryNotEmptyException e) {
                throw new IOException("cannot atomically rename " + staging + " to " + target + ": " + e, e);
            }
        } catch (IOException e) {
            UncheckedIOException failure = new UncheckedIOException("commit of " + target + " failed: " + e.getMessage(), e);
            if (old != null) {
                try {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the previous version back
                } catch (IOException restore) {
                    failure.addSuppressed(restore);
                }
            }
            throw failure;
        }
        committed = true;
        Durable.forceDirectory(target.toAbsolutePath().getParent());
        if (old != null) {
            deleteRecursively(old);
        }
    }

    /** Discards the staging directory unless committed. */
    @Override
    public void close() {
        if (!committed) {
            deleteRecursively(staging);
        }
    }

    /**
     * Removes staging and replaced directories left by a crash inside {@code parent}. A crash between
     * {@link #commit()}'s two renames leaves the previous version only as {@code .replaced-NAME-UUID} with
     * no {@code NAME}: that directory is renamed back to {@code NAME} instead of being deleted.
     */
    public static void cleanStale(Path parent) {
        if (!Files.isDirectory(parent)) {
            return;
        }
        List<Path> stale;
        try (Stream<Path> children = Files.list(parent)) {
            stale = children.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(STAGING) || n.startsWith(REPLACED);
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path p : stale) {
            String n = p.getFileName().toString();
            int uuidStart = n.length() - UUID_LENGTH;
            if (n.startsWith(REPLACED) && uuidStart - 1 > REPLACED.length() && n.charAt(uuidStart - 1) == '-') {
                Path original = parent.resolve(n.substring(REPLACED.length(), uuidStart - 1));
                if (!Files.exists(original, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.move(p, original, StandardCopyOption.ATOMIC_MOVE);
                        continue;
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot restore " + p + " to " + original + ": " + e.getMessage(), e);
                    }
                }
            }
            deleteRecursively(p);
        }
    }

    /**
     * Removes a committed directory so that no reader ever sees it half-deleted: it is first renamed to a hidden
     * staging name beside it (one atomic rename), then deleted; a crash in between leaves only that hidden
     * directory, which {@link #cleanStale} removes.
     */
    public static void discard(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path hidden = dir.resolveSibling(STAGING + "discarded-" + dir.getFileName() + "-" + UUID.randomUUID());
        try {
            Files.move(dir, hidden, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
        deleteRecursively(hidden);
    }

    /** Deletes a file tree; a missing root is fine. */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
