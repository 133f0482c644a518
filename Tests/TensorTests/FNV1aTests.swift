import Testing

@testable import Tensor

@Suite struct FNV1aTests {
  /// The published FNV-1a 64 test vectors, and words added least significant byte first.
  @Test func knownAnswers() {
    #expect(FNV1a().value == 0xcbf2_9ce4_8422_2325)
    var a = FNV1a()
    a.add("a".utf8)
    #expect(a.value == 0xaf63_dc4c_8601_ec8c)
    var foobar = FNV1a()
    foobar.add("foobar".utf8)
    #expect(foobar.value == 0x8594_4171_f739_67e8)
    var word = FNV1a()
    word.add(UInt32(0x6162_6f6f))  // least significant byte first: 0x6f 0x6f 0x62 0x61
    var bytes = FNV1a()
    bytes.add([0x6f, 0x6f, 0x62, 0x61] as [UInt8])
    #expect(word.value == bytes.value)
  }
}
