import Foundation

/// An exclusive `flock` on `<cache>/<key>.lock`, held by the worker that trains run `<key>`, so two processes sharing
/// a cache (two `dropbench run` in one directory, Slurm tasks, a requeued task) never train the same run twice. The
/// kernel drops the lock when its process dies, even by `kill -9`: no stale lock survives a crash, and a leftover
/// unlocked file means nothing.
public final class RunLock {
  public let url: URL
  private var fd: Int32

  private init(url: URL, fd: Int32) {
    self.url = url
    self.fd = fd
  }

  /// The lock, or nil when another process holds it. Never waits.
  public static func acquire(_ url: URL) throws -> RunLock? {
    while true {
      let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
      if fd < 0 { throw CacheError.lock(url.path, String(cString: strerror(errno))) }
      if flock(fd, LOCK_EX | LOCK_NB) != 0 {
        let error = errno
        close(fd)
        if error == EWOULDBLOCK { return nil }
        // A filesystem without flock (Lustre mounted without `-o flock`, some NFS setups): go on unlocked, as before
        // locks existed. Two processes may then train one run, writing the same bytes; nothing is lost.
        if [ENOSYS, ENOLCK, EOPNOTSUPP, EINVAL].contains(error) {
          unlink(url.path)
          return RunLock(url: url, fd: -1)
        }
        throw CacheError.lock(url.path, String(cString: strerror(error)))
      }
      // The last holder (or a cleanup) may have removed the file between our open and flock: a lock on a removed
      // file excludes nobody, so lock the file that is at the path now.
      var held = stat()
      var current = stat()
      if fstat(fd, &held) == 0, stat(url.path, &current) == 0, held.st_dev == current.st_dev,
        held.st_ino == current.st_ino
      {
        return RunLock(url: url, fd: fd)
      }
      close(fd)
    }
  }

  /// Removes the file while still holding the lock (so nobody can be locking it meanwhile), then unlocks.
  public func release() {
    guard fd >= 0 else { return }
    unlink(url.path)
    close(fd)
    fd = -1
  }

  deinit { release() }

  /// Whether a process holds the lock at `url` now: a shared probe fails only against an exclusive holder. Creates
  /// nothing, so `status` can read a cache it must not write.
  public static func isHeld(_ url: URL) -> Bool {
    let fd = open(url.path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return false }
    defer { close(fd) }
    if flock(fd, LOCK_SH | LOCK_NB) == 0 {
      flock(fd, LOCK_UN)
      return false
    }
    return errno == EWOULDBLOCK
  }
}

public enum CacheError: Error, CustomStringConvertible {
  case lock(String, String)

  public var description: String {
    switch self {
    case .lock(let path, let reason): return "cannot lock \(path) (\(reason))"
    }
  }
}

/// What a killed process can leave in a cache: temporary files of an unfinished write, unlocked lock files.
enum CacheHousekeeping {
  /// A temporary file of a writer on another host (a shared cache) is judged by age only: a run's record is written
  /// in milliseconds, so a minute-old one is abandoned.
  static let abandonedAfter: TimeInterval = 60

  /// Removes what is left over; never touches a write in progress or a held lock.
  static func sweep(_ directory: URL, now: Date = Date()) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    for name in names {
      let url = directory.appendingPathComponent(name)
      if name.hasPrefix("."), name.hasSuffix(".tmp"), isAbandoned(name, url: url, now: now) {
        try? FileManager.default.removeItem(at: url)
      } else if name.hasSuffix(".lock"), let lock = try? RunLock.acquire(url) {
        lock.release()
      }
    }
  }

  /// `.<target>.<host>.<pid>.<serial>.tmp` (`AtomicFile`): abandoned when its writer, on this host, is gone, or when
  /// it is older than `abandonedAfter`.
  static func isAbandoned(_ name: String, url: URL, now: Date) -> Bool {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count >= 5, parts[parts.count - 4] == AtomicFile.host, let pid = Int32(parts[parts.count - 3]),
      kill(pid, 0) != 0, errno == ESRCH
    {
      return true
    }
    let modified = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    return modified.map { now.timeIntervalSince($0) > abandonedAfter } ?? false
  }
}
