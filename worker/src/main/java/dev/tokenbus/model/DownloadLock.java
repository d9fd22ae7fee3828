package dev.tokenbus.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Only one downloader of a file at a time, across threads and JVMs: an in-process lock (a JVM cannot hold two
 * {@link FileLock}s on one file) and then an exclusive lock on {@code <name>.lock}. The lock file stays after use:
 * deleting it would let a third process lock a new file while a second still holds the old one.
 */
final class DownloadLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelFetcher.class);
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private final ReentrantLock processLock;
  private final FileChannel channel;
  private final FileLock fileLock;

  private DownloadLock(ReentrantLock processLock, FileChannel channel, FileLock fileLock) {
    this.processLock = processLock;
    this.channel = channel;
    this.fileLock = fileLock;
  }

  /**
   * Waits until this thread holds {@code lockFile}'s lock.
   *
   * @param lockFile a file in an existing directory, as a real path (so two spellings of it share one lock)
   * @param what     what is being downloaded, for the log line while waiting
   */
  static DownloadLock acquire(Path lockFile, String what) throws IOException, InterruptedException {
    ReentrantLock processLock = IN_PROCESS.computeIfAbsent(lockFile, file -> new ReentrantLock());
    if (!processLock.tryLock()) {
      log.info("waiting for another thread downloading {}", what);
      processLock.lockInterruptibly();
    }
    try {
      FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        FileLock fileLock = channel.tryLock();
        if (fileLock == null) {
          log.info("waiting for another process downloading {} (it holds {})", what, lockFile);
          fileLock = channel.lock();
        }
        return new DownloadLock(processLock, channel, fileLock);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      processLock.unlock();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try (channel) {
      fileLock.release();
    } finally {
      processLock.unlock();
    }
  }
}
