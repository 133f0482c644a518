import CZlib
import Testing

@testable import Datasets

@Suite struct GzipTests {
  /// Compresses with zlib's own gzip writer, so the test does not trust our code on both ends.
  func gzipFile(_ payload: [UInt8], in directory: String) throws -> String {
    let path = directory + "/payload.gz"
    let file = try #require(gzopen(path, "wb9"))
    let written = payload.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    #expect(Int(written) == payload.count)
    #expect(gzclose(file) == Z_OK)
    return path
  }

  func payload() -> [UInt8] {
    // Compressible structure plus pseudo-random bytes, large enough to need several output buffer growths.
    var state: UInt32 = 12345
    return (0..<300_000).map { i in
      state = state &* 1_664_525 &+ 1_013_904_223
      return i % 3 == 0 ? UInt8(truncatingIfNeeded: state >> 24) : UInt8(truncatingIfNeeded: i / 1000)
    }
  }

  @Test func roundTrip() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    let original = payload()
    let path = try gzipFile(original, in: directory)
    #expect(try Gzip.decompress(readFile(path), source: path) == original)
  }

  @Test func concatenatedMembersAreJoined() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    let first = try readFile(gzipFile(Array("hello ".utf8), in: directory))
    let second = try readFile(gzipFile(Array("world".utf8), in: directory))
    #expect(try Gzip.decompress(first + second, source: "joined") == Array("hello world".utf8))
  }

  @Test func emptyPayload() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    #expect(try Gzip.decompress(readFile(gzipFile([], in: directory)), source: "empty") == [])
  }

  @Test func truncatedStreamThrows() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    let compressed = try readFile(gzipFile(payload(), in: directory))
    for keep in [compressed.count - 1, compressed.count - 8, compressed.count / 2, 30, 10] {
      #expect(throws: DataError.self, "kept \(keep) bytes") {
        try Gzip.decompress(Array(compressed.prefix(keep)), source: "truncated.gz")
      }
    }
  }

  @Test func corruptedStreamThrows() throws {
    let directory = try makeTemporaryDirectory()
    defer { removeTemporary(directory) }
    var compressed = try readFile(gzipFile(payload(), in: directory))
    compressed[compressed.count / 2] ^= 0xFF
    let error = #expect(throws: DataError.self) { try Gzip.decompress(compressed, source: "flipped.gz") }
    #expect(error?.description.contains("flipped.gz") == true)
  }

  @Test func notGzipThrows() {
    #expect(throws: DataError.self) { try Gzip.decompress(Array("plain text, not gzip".utf8), source: "x") }
    #expect(throws: DataError.self) { try Gzip.decompress([], source: "x") }
  }
}
