import Foundation
import Runner

/// Where `run` and `replicate` write, checked before anything trains: a results path that cannot be written would
/// otherwise surface as a raw Foundation error after every run had trained.
enum OutputPaths {
  static func check(_ paths: Paths, experimentIDs: [String]) throws {
    let reports = URL(fileURLWithPath: paths.reports)
    try writableDirectory(paths.cache, option: "--cache", given: paths.cache)
    for directory in [reports, paths.resultsURL, reports.appendingPathComponent("figures")] {
      try writableDirectory(directory.path, option: "--reports", given: paths.reports)
    }
    for id in experimentIDs {
      for file in [
        paths.resultsURL.appendingPathComponent("\(id).json"),
        URL(fileURLWithPath: paths.reports).appendingPathComponent("\(id).md"),
      ] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), isDirectory.boolValue {
          throw UserFacingError(
            message: "\(file.path) is a directory, where the \(id) results or page are written: remove it or pass "
              + "another --reports", code: 2)
        }
      }
    }
  }

  /// Makes `path` (and its parents) if missing, then proves it writable by creating and removing a file in it: as
  /// root, permission bits say nothing, and a read-only filesystem only shows on a write.
  /// `option` and `given` name the argument (and its value) the directory comes from, for the error line.
  static func writableDirectory(_ path: String, option: String, given: String) throws {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    var existing = url
    var isDirectory: ObjCBool = false
    while !FileManager.default.fileExists(atPath: existing.path, isDirectory: &isDirectory), existing.path != "/" {
      existing = existing.deletingLastPathComponent()
    }
    if !isDirectory.boolValue {
      throw UserFacingError(
        message: "\(option) \(given): \(existing.path) is a file, not a directory; move it or pass another \(option)",
        code: 2)
    }
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      throw UserFacingError(
        message: "\(option) \(given): cannot create \(url.path) (\(reason(error))); pass another \(option)", code: 2)
    }
    // Named like `AtomicFile`'s temporary files, so a cache sweep removes it should the process die in between.
    let probe = url.appendingPathComponent(".write-check.\(AtomicFile.probeSuffix)")
    let failure: Int32? = Interrupts.critical {
      let fd = open(probe.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
      if fd < 0 { return errno }
      close(fd)
      unlink(probe.path)
      return nil
    }
    if let failure {
      throw UserFacingError(
        message: "\(option) \(given): cannot write in \(url.path) (\(String(cString: strerror(failure)))); make it "
          + "writable or pass another \(option)", code: 2)
    }
  }

  static func reason(_ error: Error) -> String {
    if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain
    {
      return String(cString: strerror(Int32(underlying.code)))
    }
    return (error as NSError).localizedDescription
  }
}
