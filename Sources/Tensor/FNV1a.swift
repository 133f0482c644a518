/// 64-bit FNV-1a: a hash that is the same in every process and on every machine (Swift's `Hasher` is seeded per
/// process), for site streams derived from names and for fingerprints of data in artifact names.
public struct FNV1a: Sendable {
  public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  public init() {}

  public mutating func add(_ byte: UInt8) {
    value ^= UInt64(byte)
    value = value &* 0x100_0000_01b3
  }

  public mutating func add(_ bytes: some Sequence<UInt8>) { for b in bytes { add(b) } }

  /// The four bytes of `word`, least significant first.
  public mutating func add(_ word: UInt32) {
    for shift in stride(from: 0, to: 32, by: 8) { add(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
  }
}
