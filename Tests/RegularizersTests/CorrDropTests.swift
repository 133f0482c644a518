import NN
import Tensor
import Testing

@testable import Regularizers

/// CorrDrop's scores by hand, the direction of its bias (less correlated ⇒ dropped more), the realised rate after
/// the ramp, the mask's structure, dead inputs, and the ramp itself.
@Suite struct CorrDropTests {
  /// Three 2-D vectors: a and b parallel, c orthogonal to both. |cos| matrix off the diagonal: (a,b) 1, (a,c) 0,
  /// (b,c) 0 — so F = [1/3, 1/3, 0].
  @Test func scoresAreMeanAbsoluteCosinesByHand() {
    let scores = CorrDrop.correlationScores([1, 0, 2, 0, 0, 3], count: 3, dim: 2)
    #expect(abs(scores[0] - 1.0 / 3) < 1e-6 && abs(scores[1] - 1.0 / 3) < 1e-6 && abs(scores[2]) < 1e-6, "\(scores)")
    // Anti-parallel counts like parallel (absolute value); a 45° pair gives cos = √½.
    let tilted = CorrDrop.correlationScores([1, 0, -1, 0, 1, 1], count: 3, dim: 2)
    let half = 0.5.squareRoot()
    #expect(abs(tilted[0] - (1 + half) / 3) < 1e-6 && abs(tilted[2] - 2 * half / 3) < 1e-6, "\(tilted)")
    // Dead vectors: cosine 0 with everything, itself included, so |0 − δ_ii| = 1 gives them 1/M (the reference's
    // |VVᵀ − I| does the same); finite, no NaN.
    let dead = CorrDrop.correlationScores([0, 0, 0, 0, 1, 0], count: 3, dim: 2)
    #expect(abs(dead[0] - 1.0 / 3) < 1e-6 && abs(dead[1] - 1.0 / 3) < 1e-6 && abs(dead[2]) < 1e-6, "\(dead)")
    let p = CorrDrop.softmax([1.0 / 3, 1.0 / 3, 0])
    #expect(abs(p.reduce(0, +) - 1) < 1e-12 && p[0] > p[2])
  }

  @Test func cellsCoverTheMapAsThePoolingDoes() {
    #expect(CorrDrop.cells(size: 16, blockSize: 4) == (4, 0))
    #expect(CorrDrop.cells(size: 16, blockSize: 5) == (4, 2))  // pad ⌈4/2⌉ = 2: rows −2…17
    #expect(CorrDrop.cells(size: 14, blockSize: 5) == (3, 1))
    #expect(CorrDrop.cells(size: 7, blockSize: 5) == (2, 2))
  }

  @Test func theRampRisesLinearlyOverItsSteps() {
    #expect(CorrDrop.rampedRate(0.2, step: 0, rampSteps: 200) == 0)
    #expect(abs(CorrDrop.rampedRate(0.2, step: 199, rampSteps: 200) - 0.2) < 1e-12)
    #expect(abs(CorrDrop.rampedRate(0.2, step: 100, rampSteps: 200) - 0.2 * 100 / 199) < 1e-12)
    #expect(CorrDrop.rampedRate(0.2, step: 5, rampSteps: 0) == 0.2)
    let layer = CorrDrop(variant: .channel, rate: 0.5, stream: 1)
    let x = uniformTensor([4, 6, 6, 8], seed: 3, low: 0.5, high: 1.5)
    #expect(layer.forward(x, training(step: 0)) == x)  // rate 0 at the first step, as the reference
  }

  /// Items built to differ in correlation: among 8 channels, 6 are copies of one pattern and 2 are independent
  /// noise. Over many draws the two uncorrelated channels are dropped more often than the copies, and the overall
  /// fraction of dropped channels is the target.
  @Test func lessCorrelatedChannelsAreDroppedMoreOften() {
    let (n, h, w, c) = (4, 6, 6, 8)
    let base = uniformTensor([h * w], seed: 11, low: -1, high: 1).storage
    let noise = uniformTensor([n * h * w * 2], seed: 12, low: -1, high: 1).storage
    var x = Tensor(shape: [n, h, w, c])
    for s in 0..<n {
      for p in 0..<(h * w) {
        for ch in 0..<c {
          x.storage[(s * h * w + p) * c + ch] = ch < 6 ? base[p] * Float(ch + 1) : noise[(s * h * w + p) * 2 + ch - 6]
        }
      }
    }
    let layer = CorrDrop(variant: .channel, rate: 0.3, rampSteps: 0, stream: 2)
    var drops = [Int](repeating: 0, count: c)
    var total = 0
    let draws = 3000
    for step in 0..<draws {
      let y = layer.forward(x, training(step: step))
      for s in 0..<n {
        for ch in 0..<c where y.storage[(s * h * w) * c + ch] == 0 && x.storage[(s * h * w) * c + ch] != 0 {
          drops[ch] += 1
          total += 1
        }
      }
    }
    let copies = Double(drops[0..<6].reduce(0, +)) / Double(6 * n * draws)
    let independent = Double(drops[6...].reduce(0, +)) / Double(2 * n * draws)
    #expect(independent > copies + 0.005, "independent \(independent) vs copies \(copies)")
    let overall = Double(total) / Double(c * n * draws)
    #expect(abs(overall - 0.3) < 0.01, "realised \(overall)")
  }

  /// The spatial variant: one mask for all channels, whole cells, renormalised, and the realised fraction equal to
  /// the target γ_b when the cells tile the map.
  @Test func spatialMasksAreWholeCellsSharedByEveryChannel() {
    let layer = CorrDrop(variant: .spatial, rate: 0.25, blockSize: 4, rampSteps: 0, stream: 3)
    let x = uniformTensor([2, 16, 16, 3], seed: 5, low: 0.5, high: 1.5)
    var dropped = 0
    var count = 0
    var mixed = 0
    var badScale = 0
    for step in 0..<400 {
      let y = layer.forward(x, training(step: step))
      let factors = zip(y.storage, x.storage).map { $0 / $1 }
      for s in 0..<2 {
        for ci in 0..<4 {
          for cj in 0..<4 {
            // Every value of a 4×4 cell in every channel shares its factor.
            let first = factors[((s * 16 + ci * 4) * 16 + cj * 4) * 3]
            for i in 0..<4 {
              for j in 0..<4 {
                for ch in 0..<3 {
                  let f = factors[((s * 16 + ci * 4 + i) * 16 + cj * 4 + j) * 3 + ch]
                  if abs(f - first) > 1e-4 * max(1, first) { mixed += 1 }
                }
              }
            }
            if first == 0 { dropped += 1 }
            count += 1
          }
        }
      }
      let kept = factors.filter { $0 != 0 }
      if let k = kept.first, abs(Double(k) - Double(factors.count) / Double(kept.count)) > 1e-3 { badScale += 1 }
    }
    #expect(mixed == 0 && badScale == 0)
    #expect(abs(Double(dropped) / Double(count) - 0.25) < 0.02, "\(Double(dropped) / Double(count))")
  }

  @Test func deadInputsGiveNoNaNAndEvaluationIsTheIdentity() {
    for variant in [CorrDrop.Variant.spatial, .channel] {
      let layer = CorrDrop(variant: variant, rate: 0.5, blockSize: 3, rampSteps: 0, stream: 4)
      let zeros = Tensor(shape: [2, 6, 6, 4])
      #expect(layer.forward(zeros, training(step: 7)).storage.allSatisfy { $0 == 0 })
      let x = uniformTensor([2, 6, 6, 4], seed: 6, low: -1, high: 1)
      #expect(layer.forward(x, .evaluation) == x)
      let y = layer.forward(x, training(step: 9))
      #expect(y.storage.allSatisfy { $0.isFinite })
      // The backward is the same mask: dy = 1 gives the factors.
      let g = layer.backward(Tensor(shape: x.shape, storage: Array(repeating: 1, count: x.count)))
      for i in 0..<x.count where x.storage[i] != 0 { #expect(abs(g.storage[i] - y.storage[i] / x.storage[i]) < 1e-4) }
    }
  }

  @Test func blockLargerThanTheMapIsRefused() {
    let site = Site(name: "stage3", shape: [4, 4, 8], stream: 0)
    #expect(CorrDrop.spatialDescriptor.validate(["block_size": .int(5)], site) != nil)
    #expect(CorrDrop.spatialDescriptor.validate(["block_size": .int(4)], site) == nil)
    #expect(CorrDrop.channelDescriptor.validate([:], Site(name: "hidden1", shape: [16], stream: 0)) != nil)
  }
}
