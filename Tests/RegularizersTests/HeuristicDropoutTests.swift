import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

/// Straightforward per-(sample, channel) scores: gather the channel, count bins in a dictionary, two-pass variance.
private func referenceScores(_ x: Tensor, k: Double) -> [Double] {
  let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  var scores: [Double] = []
  for s in 0..<n {
    for ch in 0..<c {
      let values = (0..<(h * w)).map { x.storage[(s * h * w + $0) * c + ch] }
      var bins: [Int: Int] = [:]
      for v in values {
        let q = Int((tanhf(v) * 10).rounded(.toNearestOrEven))
        if (0...10).contains(q) { bins[q, default: 0] += 1 }
      }
      let total = Double(bins.values.reduce(0, +))
      let entropy = bins.values.reduce(0.0) { $0 - Double($1) / total * Foundation.log(Double($1) / total) }
      let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count - 1)
      scores.append(entropy + k / (variance + 1e-7))
    }
  }
  return scores
}

/// Channels with a spread of scales and offsets, so entropies and variances differ.
private func featureMaps(_ shape: [Int], seed: UInt64) -> Tensor {
  var x = normalTensor(shape, seed: seed)
  let c = shape[3]
  let scales = RandomKey(seed: seed).fold(1).uniforms(shape[0] * c)
  x.withUnsafeMutableBufferPointer { b in
    for i in b.indices {
      let sample = i / (shape[1] * shape[2] * c)
      let factor = scales[sample * c + i % c]
      b[i] = b[i] * 2 * factor + factor - 0.3
    }
  }
  return x
}

@Suite struct HeuristicDropoutTests {
  @Test func identityInEval() {
    let x = featureMaps([2, 6, 6, 10], seed: 1)
    let layer = HeuristicDropout()
    #expect(layer.forward(x, .evaluation) == x)
    #expect(layer.backward(x) == x)
  }

  @Test func entropyIgnoresNegativeBinsAndVarianceIsUnbiased() {
    let x = Tensor(shape: [1, 2, 3, 2], storage: [0, -1, 0, -2, 5, -3, 5, -1, -5, -2, -5, -3])
    let scores = HeuristicDropout.scores(x, k: 2)
    #expect(abs(scores[0] - (Foundation.log(2) + 2 / (20 + 1e-7))) < 1e-12)
    let negatives: [Double] = [-1, -2, -3, -1, -2, -3]
    let mean = negatives.reduce(0, +) / 6
    let variance = negatives.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 5
    #expect(abs(scores[1] - 2 / (variance + 1e-7)) < 1e-9)
  }

  @Test func selectedCountRoundsHalfToEven() {
    #expect(HeuristicDropout.selectedCount(channels: 5, fraction: 0.1) == 0)
    #expect(HeuristicDropout.selectedCount(channels: 15, fraction: 0.1) == 2)
    #expect(HeuristicDropout.selectedCount(channels: 25, fraction: 0.1) == 2)
    #expect(HeuristicDropout.selectedCount(channels: 32, fraction: 0.1) == 3)
    #expect(HeuristicDropout.selectedCount(channels: 8, fraction: 1) == 8)
  }

  @Test(arguments: [0.0, 2.0, 3.0])
  func selectionMatchesASlowReference(k: Double) {
    for seed in UInt64(1)...5 {
      let x = featureMaps([3, 7, 5, 20], seed: seed)
      let fast = HeuristicDropout.scores(x, k: k)
      let slow = referenceScores(x, k: k)
      for (a, b) in zip(fast, slow) { #expect(abs(a - b) <= 1e-9 * max(1, abs(b))) }
      let chosen = HeuristicDropout.selectChannels(
        scores: fast, channels: 20, fraction: 0.25, selection: .top, key: RandomKey(seed: 0))
      for s in 0..<3 {
        let row = Array(slow[(s * 20)..<((s + 1) * 20)])
        let expected = (0..<20).sorted { row[$0] > row[$1] }.prefix(5)
        #expect(chosen[s] == expected.sorted())
      }
    }
  }

  @Test func chosenChannelsAreTheirLaplacianAndOthersAreUntouched() {
    let (n, h, w, c) = (2, 6, 7, 10)
    let x = featureMaps([n, h, w, c], seed: 2)
    let layer = HeuristicDropout(fraction: 0.3)
    let context = training()
    let y = layer.forward(x, context)
    let chosen = HeuristicDropout.selectChannels(
      scores: HeuristicDropout.scores(x, k: 2), channels: c, fraction: 0.3, selection: .top, key: context.key)
    #expect(chosen.allSatisfy { $0.count == 3 })
    for s in 0..<n {
      for ch in 0..<c {
        for i in 0..<h {
          for j in 0..<w {
            let at = nhwc(s, i, j, ch, h: h, w: w, channels: c)
            guard chosen[s].contains(ch) else {
              #expect(y.storage[at] == x.storage[at])
              continue
            }
            var expected = 0.0
            for di in -1...1 {
              for dj in -1...1 where (0..<h).contains(i + di) && (0..<w).contains(j + dj) {
                let weight = Double(HeuristicDropout.kernel[di + 1][dj + 1])
                expected += weight * Double(x.storage[nhwc(s, i + di, j + dj, ch, h: h, w: w, channels: c)])
              }
            }
            #expect(abs(Double(y.storage[at]) - expected) < 1e-5 * max(1, abs(expected)))
          }
        }
      }
    }
  }

  /// The zeros ablation chooses the same channels (the score does not depend on the replacement), zeroes exactly
  /// them in forward and backward, and leaves every other value's bits alone.
  @Test func zerosReplacementZeroesTheSameChannels() {
    let (n, h, w, c) = (3, 5, 6, 10)
    let x = featureMaps([n, h, w, c], seed: 12)
    let g = normalTensor([n, h, w, c], seed: 13)
    let zeros = HeuristicDropout(fraction: 0.3, replacement: .zeros)
    let context = training()
    let y = zeros.forward(x, context)
    let dx = zeros.backward(g)
    let chosen = HeuristicDropout.selectChannels(
      scores: HeuristicDropout.scores(x, k: 2), channels: c, fraction: 0.3, selection: .top, key: context.key)
    for s in 0..<n {
      for p in 0..<(h * w) {
        for ch in 0..<c {
          let at = (s * h * w + p) * c + ch
          let dropped = chosen[s].contains(ch)
          #expect(y.storage[at] == (dropped ? 0 : x.storage[at]))
          #expect(dx.storage[at] == (dropped ? 0 : g.storage[at]))
        }
      }
    }
    #expect(zeros.forward(x, .evaluation) == x)
    // The default is still the Laplacian, bit for bit.
    #expect(HeuristicDropout(fraction: 0.3).forward(x, context) == HeuristicDropout.laplacian(x, channels: chosen))
  }

  /// Channel 0 spreads over many bins (high entropy, high variance); channel 1 is nearly constant in one bin
  /// (entropy 0, variance ≈ 4·10⁻⁶). Entropy alone picks channel 0; k = 2 turns the choice to channel 1.
  @Test func kMovesTheChoiceTowardLowVarianceChannels() {
    let ramp = (0..<64).map { Float($0) / 32 - 0.5 }
    let flat = (0..<64).map { 0.4 + Float($0 % 2) * 0.004 }
    let x = Tensor(shape: [1, 8, 8, 2], storage: zip(ramp, flat).flatMap { [$0, $1] })
    func choice(_ k: Double) -> [Int] {
      HeuristicDropout.selectChannels(
        scores: HeuristicDropout.scores(x, k: k), channels: 2, fraction: 0.5, selection: .top, key: RandomKey(seed: 0)
      )[0]
    }
    #expect(choice(0) == [0])
    #expect(choice(2) == [1])
  }

  /// The layer is linear once the channels are chosen, so a central difference with h = 1 is exact up to the
  /// Float rounding of the nine outputs a unit touches; f = Σ y·g is accumulated in Double.
  @Test func backwardMatchesFiniteDifferences() {
    let (n, h, w, c) = (2, 5, 6, 4)
    let x = featureMaps([n, h, w, c], seed: 3)
    let g = normalTensor([n, h, w, c], seed: 4)
    let layer = HeuristicDropout(fraction: 0.5)
    let context = training()
    _ = layer.forward(x, context)
    let dx = layer.backward(g)
    let chosen = HeuristicDropout.selectChannels(
      scores: HeuristicDropout.scores(x, k: 2), channels: c, fraction: 0.5, selection: .top, key: context.key)
    func f(_ t: Tensor) -> Double {
      let y = HeuristicDropout.laplacian(t, channels: chosen)
      return zip(y.storage, g.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    for i in 0..<x.count {
      var plus = x
      var minus = x
      plus.storage[i] += 1
      minus.storage[i] -= 1
      let numeric = (f(plus) - f(minus)) / 2
      #expect(abs(numeric - Double(dx.storage[i])) < 1e-4 * max(1, abs(numeric)))
    }
  }

  /// One pick from scores 1, 2, 3, 4 over 20 000 samples: P(i) = (i + 1)/10, standard error ≤ 0.0035.
  @Test func probabilisticSelectionIsProportionalToScore() {
    let samples = 20_000
    let scores: [Double] = (0..<samples).flatMap { _ -> [Double] in [1, 2, 3, 4] }
    let chosen = HeuristicDropout.selectChannels(
      scores: scores, channels: 4, fraction: 0.25, selection: .probabilistic, key: RandomKey(seed: 8))
    var counts = [0, 0, 0, 0]
    for picks in chosen {
      #expect(picks.count == 1)
      counts[picks[0]] += 1
    }
    for i in 0..<4 { #expect(abs(Double(counts[i]) / Double(samples) - Double(i + 1) / 10) < 0.015) }
    let pairs = HeuristicDropout.selectChannels(
      scores: Array(scores.prefix(400)), channels: 4, fraction: 0.5, selection: .probabilistic, key: RandomKey(seed: 9))
    #expect(pairs.allSatisfy { Set($0).count == 2 })
    let zeros = HeuristicDropout.selectChannels(
      scores: [0, 0, 0, 0], channels: 4, fraction: 0.5, selection: .probabilistic, key: RandomKey(seed: 9))
    #expect(zeros[0].count == 2)
  }

  @Test func probabilisticChoiceIsDeterministicPerKey() {
    let x = featureMaps([4, 6, 6, 20], seed: 5)
    let layer = HeuristicDropout(fraction: 0.2, selection: .probabilistic, stream: 1)
    let a = layer.forward(x, training(step: 1))
    #expect(a == layer.forward(x, training(step: 1)))
    #expect(a != layer.forward(x, training(step: 2)))
  }
}
