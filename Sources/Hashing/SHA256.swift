/// SHA-256 (FIPS 180-4), self-contained so dataset checksums need no crypto library on Linux.
///
/// Used for dataset file checksums and run cache keys; it is not meant to resist side channels.
public enum SHA256 {
  /// The lowercase hex digest of `bytes`.
  public static func hex(_ bytes: some Collection<UInt8>) -> String {
    var hasher = Hasher()
    hasher.update(bytes)
    return hasher.finalizeHex()
  }

  /// The lowercase hex digest of the UTF-8 bytes of `string`.
  public static func hex(_ string: String) -> String {
    hex(Array(string.utf8))
  }

  /// Incremental SHA-256: feed any number of chunks, then finalise once.
  public struct Hasher: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
      0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// Bytes not yet compressed; always fewer than 64.
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    public init() { pending.reserveCapacity(64) }

    /// Hashes `bytes` after everything fed so far.
    public mutating func update(_ bytes: some Collection<UInt8>) {
      // Contiguous inputs (arrays, slices) are compressed straight from their storage: hashing a 26 MB dataset
      // file byte by byte through a generic collection would dominate load time.
      let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
      if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// Hashes raw memory after everything fed so far.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
      guard let base = bytes.baseAddress, bytes.count > 0 else { return }
      totalBytes &+= UInt64(bytes.count)
      var offset = 0
      if !pending.isEmpty {
        let take = min(64 - pending.count, bytes.count)
        pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
        offset = take
        if pending.count == 64 {
          pending.withUnsafeBytes { compress($0.baseAddress!) }
          pending.removeAll(keepingCapacity: true)
        }
      }
      while offset + 64 <= bytes.count {
        compress(base + offset)
        offset += 64
      }
      if offset < bytes.count {
        pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset))
      }
    }

    /// The 32-byte digest. The hasher should not be updated afterwards.
    public mutating func finalize() -> [UInt8] {
      let bitLength = totalBytes &* 8
      var tail = pending
      tail.append(0x80)
      while tail.count % 64 != 56 { tail.append(0) }
      for shift in stride(from: 56, through: 0, by: -8) {
        tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
      }
      tail.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
          compress(raw.baseAddress! + offset)
          offset += 64
        }
      }
      pending.removeAll()
      let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
      return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> UInt32(24 - 8 * $0)) } }
    }

    /// The digest as 64 lowercase hex characters.
    public mutating func finalizeHex() -> String {
      let digits = Array("0123456789abcdef".utf8)
      var out: [UInt8] = []
      out.reserveCapacity(64)
      for byte in finalize() {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
      }
      return String(decoding: out, as: UTF8.self)
    }

    private mutating func compress(_ block: UnsafeRawPointer) {
      var w = (
        UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
        UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0)
      )
      // A fixed-size tuple keeps the message schedule on the stack; a heap array per block would cost more than
      // the rounds themselves.
      withUnsafeMutableBytes(of: &w) { raw in
        let schedule = raw.bindMemory(to: UInt32.self)
        for i in 0..<16 {
          schedule[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
        }
        var a = state.0, b = state.1, c = state.2, d = state.3
        var e = state.4, f = state.5, g = state.6, h = state.7
        for t in 0..<64 {
          let wt: UInt32
          if t < 16 {
            wt = schedule[t]
          } else {
            let w15 = schedule[(t - 15) & 15]
            let w2 = schedule[(t - 2) & 15]
            let s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3)
            let s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10)
            wt = schedule[t & 15] &+ s0 &+ schedule[(t - 7) & 15] &+ s1
            schedule[t & 15] = wt
          }
          let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
          let ch = (e & f) ^ (~e & g)
          let t1 = h &+ s1 &+ ch &+ roundConstants[t] &+ wt
          let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
          let maj = (a & b) ^ (a & c) ^ (b & c)
          let t2 = s0 &+ maj
          h = g
          g = f
          f = e
          e = d &+ t1
          d = c
          c = b
          b = a
          a = t1 &+ t2
        }
        state.0 &+= a
        state.1 &+= b
        state.2 &+= c
        state.3 &+= d
        state.4 &+= e
        state.5 &+= f
        state.6 &+= g
        state.7 &+= h
      }
    }
  }

  @inline(__always)
  static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

  static let roundConstants: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
  ]
}
