/// Philox-4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3").
///
/// A counter-based generator: the output is a pure function of (key, counter), so any draw can be recomputed
/// in any process, in any order. There is no global or hidden state anywhere in DropBench's randomness.
public enum Philox {
  @usableFromInline static let m0: UInt64 = 0xD251_1F53
  @usableFromInline static let m1: UInt64 = 0xCD9E_8D57
  @usableFromInline static let w0: UInt32 = 0x9E37_79B9
  @usableFromInline static let w1: UInt32 = 0xBB67_AE85

  /// Ten rounds of Philox-4x32 on `counter` with `key`.
  @inlinable
  public static func block(counter: SIMD4<UInt32>, key: (UInt32, UInt32)) -> SIMD4<UInt32> {
    var c = counter
    var k0 = key.0
    var k1 = key.1
    for round in 0..<10 {
      if round > 0 {
        k0 &+= w0
        k1 &+= w1
      }
      let p0 = m0 &* UInt64(c[0])
      let p1 = m1 &* UInt64(c[2])
      c = SIMD4(
        UInt32(truncatingIfNeeded: p1 >> 32) ^ c[1] ^ k0,
        UInt32(truncatingIfNeeded: p1),
        UInt32(truncatingIfNeeded: p0 >> 32) ^ c[3] ^ k1,
        UInt32(truncatingIfNeeded: p0))
    }
    return c
  }

  /// `block` for the eight consecutive counters `first, first + 1, … first + 7` (high counter word 0 … as
  /// `RandomKey.bits` forms them), computed lane-parallel: word `w` of block `first + j` is lane `j` of result
  /// `w`. Bit-identical to eight calls of `block` (tested); about 4× faster, which is what mask draws spend.
  @inlinable
  public static func blocks8(first: UInt64, key: (UInt32, UInt32)) -> (
    SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>
  ) {
    let lanes = SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7) &+ first
    var c0 = SIMD8<UInt32>(truncatingIfNeeded: lanes)
    var c1 = SIMD8<UInt32>(truncatingIfNeeded: lanes &>> 32)
    var c2 = SIMD8<UInt32>()
    var c3 = SIMD8<UInt32>()
    var k0 = key.0
    var k1 = key.1
    let mul0 = SIMD8<UInt64>(repeating: m0)
    let mul1 = SIMD8<UInt64>(repeating: m1)
    for round in 0..<10 {
      if round > 0 {
        k0 &+= w0
        k1 &+= w1
      }
      let p0 = mul0 &* SIMD8<UInt64>(truncatingIfNeeded: c0)
      let p1 = mul1 &* SIMD8<UInt64>(truncatingIfNeeded: c2)
      let n0 = SIMD8<UInt32>(truncatingIfNeeded: p1 &>> 32) ^ c1 ^ k0
      let n2 = SIMD8<UInt32>(truncatingIfNeeded: p0 &>> 32) ^ c3 ^ k1
      c1 = SIMD8<UInt32>(truncatingIfNeeded: p1)
      c3 = SIMD8<UInt32>(truncatingIfNeeded: p0)
      c0 = n0
      c2 = n2
    }
    return (c0, c1, c2, c3)
  }
}

/// What a stream of random numbers is for. Keys derived for different purposes never share draws.
public enum RandomPurpose: UInt64, Sendable, CaseIterable {
  case initialization = 1
  case dataOrder = 2
  case mask = 3
  case augmentation = 4
  case dataset = 5
  case test = 6
  /// Evaluation-only probes (`eval.mask_units`: which units a trained net loses).
  case evaluationProbe = 7
  /// A network a method trains for itself before the run's first step (Attentive CutMix's teacher).
  case teacher = 8
}

/// A splittable key in the style of JAX's PRNG: `seed → purpose → layer → step` by successive `fold`s.
/// A key never changes; deriving a child never consumes anything from the parent.
public struct RandomKey: Hashable, Sendable, Codable, CustomStringConvertible {
  public let k0: UInt32
  public let k1: UInt32

  public init(k0: UInt32, k1: UInt32) {
    self.k0 = k0
    self.k1 = k1
  }

  /// The root key of a run.
  public init(seed: UInt64) {
    let mixed = Philox.block(
      counter: SIMD4(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32), 0x5EED, 0),
      key: (0x243F_6A88, 0x85A3_08D3))
    self.init(k0: mixed[0], k1: mixed[1])
  }

  /// A child key for `value` (a purpose, a layer index, a step, an epoch…).
  public func fold(_ value: UInt64) -> RandomKey {
    let out = Philox.block(
      counter: SIMD4(UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32), 0xF01D, 0),
      key: (k0, k1))
    return RandomKey(k0: out[0], k1: out[1])
  }

  public func fold(_ purpose: RandomPurpose) -> RandomKey { fold(purpose.rawValue << 56) }

  public func fold(_ value: Int) -> RandomKey { fold(UInt64(bitPattern: Int64(value))) }

  /// Four 32-bit words for block `index` of this key's stream.
  @inlinable
  public func bits(_ index: Int) -> SIMD4<UInt32> {
    let i = UInt64(index)
    return Philox.block(
      counter: SIMD4(UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32), 0, 0), key: (k0, k1))
  }

  /// Uniform floats in [0, 1) with 24 random bits each: element `i` of the stream is word `i % 4` of block `i / 4`,
  /// so the value at an index does not depend on how many were drawn before it.
  public func fillUniform(_ out: UnsafeMutableBufferPointer<Float>, offset: Int = 0) {
    fillWords(out.count, offset: offset) { i, word in out[i] = Float(word >> 8) * 0x1p-24 }
  }

  /// Calls `body(i, word)` for i in 0..<count with word `offset + i` of this key's stream (word `j` is word
  /// `j % 4` of block `j / 4`), in increasing i. Whole runs of eight blocks are computed lane-parallel.
  @inlinable
  public func fillWords(_ count: Int, offset: Int = 0, _ body: (Int, UInt32) -> Void) {
    var i = 0
    let n = count
    // Word by word up to a block boundary, then eight blocks (32 words) at a time, then the tail.
    while i < n && (offset + i) & 3 != 0 {
      body(i, bits((offset + i) >> 2)[(offset + i) & 3])
      i += 1
    }
    while n - i >= 32 {
      let (w0, w1, w2, w3) = Philox.blocks8(first: UInt64((offset + i) >> 2), key: (k0, k1))
      for j in 0..<8 {
        body(i + 4 * j, w0[j])
        body(i + 4 * j + 1, w1[j])
        body(i + 4 * j + 2, w2[j])
        body(i + 4 * j + 3, w3[j])
      }
      i += 32
    }
    while i < n {
      let absolute = offset + i
      let block = bits(absolute >> 2)
      var lane = absolute & 3
      while lane < 4 && i < n {
        body(i, block[lane])
        lane += 1
        i += 1
      }
    }
  }

  /// Words `offset ..< offset + out.count` of this key's stream into `out`, in order — the words `fillWords` hands
  /// its body, bit for bit (tested) — for callers that then work on them as vectors: eight blocks at a time are
  /// interleaved into stream order with vector shuffles instead of being handed over one lane at a time.
  @inlinable
  public func fillWords(_ out: UnsafeMutableBufferPointer<UInt32>, offset: Int = 0) {
    let n = out.count
    guard let base = out.baseAddress else { return }
    // Word by word up to a block boundary, then eight blocks (32 words) at a time, then the tail.
    var i = min(n, (4 - offset & 3) & 3)
    fillWords(i, offset: offset) { j, word in base[j] = word }
    while n - i >= 32 {
      let (w0, w1, w2, w3) = Philox.blocks8(first: UInt64((offset + i) >> 2), key: (k0, k1))
      // Word 4j + c of the run is lane j of w_c: pair w0 with w1 and w2 with w3 lane by lane, then the pairs.
      var p01 = SIMD16<UInt32>()
      p01.evenHalf = w0
      p01.oddHalf = w1
      var p23 = SIMD16<UInt32>()
      p23.evenHalf = w2
      p23.oddHalf = w3
      var run = SIMD16<UInt64>()
      run.evenHalf = unsafeBitCast(p01, to: SIMD8<UInt64>.self)
      run.oddHalf = unsafeBitCast(p23, to: SIMD8<UInt64>.self)
      UnsafeMutableRawPointer(base + i).storeBytes(of: run, as: SIMD16<UInt64>.self)
      i += 32
    }
    let done = i
    fillWords(n - done, offset: offset + done) { j, word in base[done + j] = word }
  }

  /// Words `offset ..< offset + count` of the stream in order, handed to `body(start, words)` a chunk of at most
  /// `wordChunk` at a time (`start` counts from 0): a stack buffer, so a mask of any size draws without a
  /// word array of its size.
  @inlinable
  public func forEachWordChunk(_ count: Int, offset: Int = 0, _ body: (Int, UnsafeBufferPointer<UInt32>) -> Void) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.wordChunk) { buffer in
      var start = 0
      while start < count {
        let words = UnsafeMutableBufferPointer(rebasing: buffer[0..<min(Self.wordChunk, count - start)])
        fillWords(words, offset: offset + start)
        body(start, UnsafeBufferPointer(words))
        start += words.count
      }
    }
  }

  /// Words per chunk of `forEachWordChunk` (16 KiB).
  public static let wordChunk = 4096

  public func uniforms(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      fillUniform(buffer)
      initialized = count
    }
  }

  /// Standard normal draws (Box–Muller on pairs of uniforms), as Float.
  public func fillNormal(_ out: UnsafeMutableBufferPointer<Float>) {
    let n = out.count
    var pair = 0
    while pair * 2 < n {
      let b = bits(pair)
      let u1 = (Double(b[0]) + 0.5) * 0x1p-32
      let u2 = (Double(b[1]) + 0.5) * 0x1p-32
      let r = (-2 * _log(u1)).squareRoot()
      let theta = 2 * Double.pi * u2
      out[pair * 2] = Float(r * _cos(theta))
      if pair * 2 + 1 < n { out[pair * 2 + 1] = Float(r * _sin(theta)) }
      pair += 1
    }
  }

  /// A uniform integer in `0..<bound` from draw `index` (Lemire's multiply-shift on 32 bits; bias < bound/2³²).
  public func uniformInt(_ index: Int, below bound: Int) -> Int {
    let word = bits(index >> 2)[index & 3]
    return Int((UInt64(word) &* UInt64(bound)) >> 32)
  }

  /// A permutation of `0..<count` (Fisher–Yates driven by this key's stream).
  public func permutation(_ count: Int) -> [Int] {
    var p = Array(0..<count)
    if count < 2 { return p }
    for i in stride(from: count - 1, to: 0, by: -1) {
      let j = uniformInt(count - 1 - i, below: i + 1)
      p.swapAt(i, j)
    }
    return p
  }

  public var description: String {
    func hex(_ v: UInt32) -> String {
      let digits = String(v, radix: 16)
      return String(repeating: "0", count: 8 - digits.count) + digits
    }
    return hex(k0) + hex(k1)
  }
}
