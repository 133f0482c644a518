import Testing

@testable import Hashing

@Suite struct SHA256Tests {
  // FIPS 180-2 appendix B / NIST CAVP examples.
  @Test func nistVectors() {
    #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test func incrementalMatchesOneShotAcrossBlockBoundaries() {
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let expected = SHA256.hex(message)
    for chunk in [1, 3, 55, 56, 63, 64, 65, 129] {
      var hasher = SHA256.Hasher()
      var start = 0
      while start < message.count {
        let end = min(start + chunk, message.count)
        hasher.update(message[start..<end])
        start = end
      }
      #expect(hasher.finalizeHex() == expected, "chunk size \(chunk)")
    }
  }

  @Test func nonContiguousCollections() {
    // A lazy map has no contiguous storage, so this exercises the copying path.
    #expect(SHA256.hex("abc".utf8.lazy.map { $0 }) == SHA256.hex("abc"))
    #expect(SHA256.hex(Set([UInt8(7)])) == SHA256.hex([UInt8(7)]))
  }
}
