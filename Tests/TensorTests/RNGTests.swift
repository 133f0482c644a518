import Testing

@testable import Tensor

@Suite struct RNGTests {
  // Known-answer vectors from Random123's kat_vectors (philox4x32, 10 rounds).
  @Test func philoxKnownAnswers() {
    #expect(
      Philox.block(counter: SIMD4(0, 0, 0, 0), key: (0, 0)) == SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)
    )
    #expect(
      Philox.block(counter: SIMD4(repeating: 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff))
        == SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
    #expect(
      Philox.block(counter: SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        == SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
  }

  let root = RandomKey(seed: 42)

  @Test func seedsGiveDistinctRootKeys() {
    let keys = Set((0..<1000).map { RandomKey(seed: UInt64($0)) })
    #expect(keys.count == 1000)
    #expect(RandomKey(seed: 42) == root)
    #expect(RandomKey(seed: 1 << 32) != RandomKey(seed: 0))
  }

  @Test func foldIsDeterministicAndDistinguishesValues() {
    #expect(root.fold(7) == root.fold(7))
    #expect(root.fold(7) == root.fold(UInt64(7)))
    let children = Set((0..<2000).map { root.fold($0) })
    #expect(children.count == 2000)
    #expect(!children.contains(root))
    // Negative values and the high word count too.
    #expect(root.fold(-1) != root.fold(1) && root.fold(UInt64(1) << 32) != root.fold(0))
    // The same value under different parents gives different children.
    #expect(root.fold(3).fold(5) != root.fold(5).fold(3))
  }

  @Test func foldDistinguishesPurposes() {
    let purposes = RandomPurpose.allCases.map { root.fold($0) }
    #expect(Set(purposes).count == RandomPurpose.allCases.count)
    // A purpose never collides with a plain index fold (layer, step, epoch numbers).
    let indices = Set((0..<10_000).map { root.fold($0) })
    #expect(indices.isDisjoint(with: purposes))
    #expect(root.fold(.mask).fold(3) != root.fold(.augmentation).fold(3))
  }

  // 1e5 uniforms: all in [0, 1); mean 0.5 ± 0.005 (≈ 5.5 standard errors) and variance 1/12 ± 0.0015 (≈ 6 s.e.).
  @Test func uniformMoments() {
    let u = root.fold(.test).uniforms(100_000)
    #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
    let mean = u.reduce(0.0) { $0 + Double($1) } / Double(u.count)
    let variance = u.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(u.count - 1)
    #expect(abs(mean - 0.5) <= 0.005)
    #expect(abs(variance - 1.0 / 12) <= 0.0015)
    // Each quarter of [0, 1) holds a quarter of the draws, ± 1 % (≈ 7 s.e.).
    for q in 0..<4 {
      let fraction = Double(u.filter { Int($0 * 4) == q }.count) / Double(u.count)
      #expect(abs(fraction - 0.25) <= 0.01)
    }
  }

  @Test func uniformsUse24Bits() {
    let u = root.uniforms(1000)
    #expect(u.allSatisfy { ($0 * 0x1p24).rounded() == $0 * 0x1p24 })
    #expect(Set(u).count > 990)
  }

  // The value at stream index i is the same whatever offset and count it was drawn with.
  @Test(arguments: [(0, 100), (1, 7), (3, 9), (4, 4), (5, 0), (37, 50), (99, 1)])
  func valueAtIndexIndependentOfOffset(_ offset: Int, _ count: Int) {
    let key = root.fold(9)
    let full = key.uniforms(100)
    var part = [Float](repeating: -1, count: count)
    part.withUnsafeMutableBufferPointer { key.fillUniform($0, offset: offset) }
    #expect(part == Array(full[offset..<(offset + count)]))
  }

  /// The lane-parallel Philox is the scalar one: eight blocks, also across the carry into the counter's high word.
  @Test(arguments: [0, 5, (1 << 32) - 3, 0xFFFF_FFFF_FFFF_FFF9]) func eightBlocksAtOnceAreTheScalarBlocks(_ first: UInt64) {
    let key = root.fold(17)
    let (w0, w1, w2, w3) = Philox.blocks8(first: first, key: (key.k0, key.k1))
    for j in 0..<8 {
      let i = first &+ UInt64(j)
      let scalar = Philox.block(
        counter: SIMD4(UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32), 0, 0), key: (key.k0, key.k1))
      #expect(SIMD4(w0[j], w1[j], w2[j], w3[j]) == scalar, "block \(i)")
    }
  }

  /// `fillWords` gives word j of the stream as the scalar `bits` do, for any offset and count (head, eight-block
  /// runs and tail all exercised).
  @Test(arguments: [(0, 0), (0, 31), (0, 32), (1, 70), (3, 33), (6, 100), (129, 257)])
  func wordsAreTheScalarStream(_ offset: Int, _ count: Int) {
    let key = root.fold(23)
    var seen: [UInt32] = []
    key.fillWords(count, offset: offset) { i, word in
      #expect(i == seen.count)
      seen.append(word)
    }
    #expect(seen == (offset..<(offset + count)).map { key.bits($0 >> 2)[$0 & 3] })
  }

  /// The buffer form holds the same words in the same order, for any offset and count.
  @Test(arguments: [(0, 0), (0, 31), (0, 32), (1, 70), (3, 33), (6, 100), (129, 257), (2, 1)])
  func bufferedWordsAreTheScalarStream(_ offset: Int, _ count: Int) {
    let key = root.fold(29)
    var words = [UInt32](repeating: 0xDEAD_BEEF, count: count + 1)
    words.withUnsafeMutableBufferPointer { key.fillWords(UnsafeMutableBufferPointer(rebasing: $0[0..<count]), offset: offset) }
    #expect(Array(words[0..<count]) == (offset..<(offset + count)).map { key.bits($0 >> 2)[$0 & 3] })
    #expect(words[count] == 0xDEAD_BEEF, "nothing written past the buffer")
  }

  @Test(arguments: [0, 1, 2, 5, 1000]) func permutationIsAPermutation(_ n: Int) {
    let p = root.fold(.dataOrder).permutation(n)
    #expect(p.sorted() == Array(0..<n))
    #expect(p == root.fold(.dataOrder).permutation(n))
  }

  @Test func permutationsDependOnTheKey() {
    let perms = Set((0..<50).map { root.fold($0).permutation(100) })
    #expect(perms.count == 50)
    #expect(root.permutation(100) != Array(0..<100))
  }

  // Over 4 000 keys every element lands first in a permutation of 4 with frequency 1/4 ± 0.04 (≈ 6 s.e.).
  @Test func permutationIsUniformOnTheFirstPlace() {
    var counts = [0, 0, 0, 0]
    for i in 0..<4000 { counts[root.fold(i).permutation(4)[0]] += 1 }
    for c in counts { #expect(abs(Double(c) / 4000 - 0.25) <= 0.04) }
  }

  @Test func uniformIntStaysBelowTheBound() {
    for bound in [1, 2, 3, 10, 1000] {
      let draws = (0..<500).map { root.uniformInt($0, below: bound) }
      #expect(draws.allSatisfy { $0 >= 0 && $0 < bound })
      if bound <= 10 { #expect(Set(draws).count == bound) }
    }
  }

  // 1e5 normals: mean 0 ± 0.02 (≈ 6 s.e.), variance 1 ± 0.03 (≈ 6.7 s.e.), all finite; 95.4 % ± 0.5 % within 2σ.
  @Test func normalMoments() {
    var x = [Float](repeating: 0, count: 100_000)
    x.withUnsafeMutableBufferPointer { root.fold(.test).fillNormal($0) }
    #expect(x.allSatisfy { $0.isFinite })
    let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
    let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count - 1)
    #expect(abs(mean) <= 0.02)
    #expect(abs(variance - 1) <= 0.03)
    let within = Double(x.filter { abs($0) < 2 }.count) / Double(x.count)
    #expect(abs(within - 0.9545) <= 0.005)
  }

  @Test func normalsOfOddCountArePrefixes() {
    var seven = [Float](repeating: .nan, count: 7)
    var eight = [Float](repeating: .nan, count: 8)
    seven.withUnsafeMutableBufferPointer { root.fillNormal($0) }
    eight.withUnsafeMutableBufferPointer { root.fillNormal($0) }
    #expect(seven == Array(eight[0..<7]))
    var none = [Float]()
    none.withUnsafeMutableBufferPointer { root.fillNormal($0) }
  }

  @Test func descriptionIsSixteenHexDigits() {
    let d = RandomKey(k0: 0x1f, k1: 0xdead_beef).description
    #expect(d == "0000001fdeadbeef")
    #expect(root.description.count == 16)
  }

  @Test func keysRoundTripThroughCodable() throws {
    #expect(RandomKey(k0: root.k0, k1: root.k1) == root)
  }
}
