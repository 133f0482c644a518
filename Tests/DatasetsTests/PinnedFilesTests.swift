import Foundation
import Testing

@testable import Datasets

@Suite struct PinnedFilesTests {
  static func files(_ sha256: String) -> PinnedFiles {
    PinnedFiles(
      dataset: "tiny", files: [.init(name: "a.gz", sha256: sha256)],
      environmentVariable: "DROPBENCH_TEST_NO_SUCH_VAR", defaultRoot: "/nonexistent", installHint: "make it")
  }

  /// The options' root wins over the default; the path is the root and the file name.
  @Test func rootAndPath() {
    let pinned = Self.files("00")
    #expect(pinned.root(DatasetOptions()) == "/nonexistent")
    #expect(pinned.path(pinned.files[0], DatasetOptions(root: "/tmp/x")) == "/tmp/x/a.gz")
    #expect(pinned.pinned == ["a.gz": "00"])
  }

  /// A file that hashes to its pin is read and inflated; one that does not, or is missing, is an error naming the
  /// path and the install hint.
  @Test func checksAndInflates() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    let gzipped: [UInt8] = [  // "hi\n", gzipped
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0xc8, 0xe4, 0x02, 0x00, 0x7a, 0x7a, 0x6f,
      0xed, 0x03, 0x00, 0x00, 0x00,
    ]
    let path = directory + "/a.gz"
    try writeFile(gzipped, to: path)
    let options = DatasetOptions(root: directory)
    let actual = try FileAccess.digest(of: path, dataset: "tiny", installHint: "")
    let good = Self.files(actual)
    #expect(try good.checksums(options) == ["a.gz": actual])
    #expect(try good.inflated(good.files[0], options).bytes == Array("hi\n".utf8))
    let bad = Self.files(String(repeating: "0", count: 64))
    let mismatch = DataError.checksumMismatch(
      path: path, expected: bad.files[0].sha256, actual: actual, installHint: "make it")
    #expect(throws: mismatch) { try bad.inflated(bad.files[0], options) }
    #expect(throws: DataError.self) { try bad.checksums(options) }
    #expect(throws: DataError.fileNotFound(path: "/nonexistent/a.gz", dataset: "tiny", installHint: "make it")) {
      try good.checksums(DatasetOptions())
    }
  }
}
