import NN
import Tensor
import Testing

@testable import Regularizers

/// Channel DropBlock: both metrics by hand, the group is the seed and its nearest channels, whole channels with
/// the 1/(1 − rate) scale, the seed channel uniform over many draws, dead channels.
@Suite struct ChannelDropBlockTests {
  /// One 4×4 sample with 4 channels whose peaks sit at (0,0), (0,1), (3,3), (3,2): channels 0 and 1 peak close
  /// together, 2 and 3 too.
  static func fourPeaks() -> Tensor {
    var x = Tensor(shape: [1, 4, 4, 4])
    for (ch, (i, j)) in [(0, 0), (0, 1), (3, 3), (3, 2)].enumerated() { x.storage[(i * 4 + j) * 4 + ch] = 9 }
    return x
  }

  @Test func maxActivationGroupsChannelsByTheirSmoothedPeaks() {
    let x = Self.fourPeaks()
    x.withUnsafeBufferPointer { xs in
      let peaks = ChannelDropBlock.peaks(xs, offset: 0, h: 4, w: 4, c: 4)
      // A lone 9 smoothed by the 3×3 mean is 1 over its 3×3 neighbourhood; the first maximum in reading order is
      // the top-left corner of that neighbourhood (clipped to the map).
      #expect(peaks.map { [$0.0, $0.1] } == [[0, 0], [0, 0], [2, 2], [2, 1]])
      let r = ChannelDropBlock.correlations(xs, offset: 0, h: 4, w: 4, c: 4, seed: 2, metric: .maxActivation)
      #expect(r[2] == 0 && r[3] == -1 && abs(r[0] + 8.0.squareRoot()) < 1e-12)
      #expect(ChannelDropBlock.group(correlations: r, seed: 2, k: 2) == [2, 3])
    }
  }

  @Test func cosineIsTheNormalisedBilinearSimilarity() {
    // Two positions, three channels: (1, 0), (2, 0), (0, 1) — channels 0 and 1 parallel, 2 orthogonal.
    let x = Tensor(shape: [1, 1, 2, 3], storage: [1, 2, 0, 0, 0, 1])
    x.withUnsafeBufferPointer { xs in
      let r = ChannelDropBlock.correlations(xs, offset: 0, h: 1, w: 2, c: 3, seed: 0, metric: .cosine)
      #expect(abs(r[0] - 1) < 1e-12 && abs(r[1] - 1) < 1e-12 && abs(r[2]) < 1e-12)
      #expect(ChannelDropBlock.group(correlations: r, seed: 0, k: 2) == [0, 1])
      // Ties go by channel index, the seed always first.
      #expect(ChannelDropBlock.group(correlations: [1, 1, 1], seed: 2, k: 2) == [2, 0])
    }
    // A dead channel: cosine 0, no NaN.
    let dead = Tensor(shape: [1, 1, 2, 2], storage: [1, 0, 1, 0])
    dead.withUnsafeBufferPointer { xs in
      let r = ChannelDropBlock.correlations(xs, offset: 0, h: 1, w: 2, c: 2, seed: 0, metric: .cosine)
      #expect(r[1] == 0 && r.allSatisfy { $0.isFinite })
    }
  }

  @Test func dropsWholeGroupsScaledAndSeedsUniformly() {
    let layer = ChannelDropBlock(rate: 0.25, metric: .maxActivation, stream: 5)
    let x = uniformTensor([2, 6, 6, 8], seed: 9, low: 0.5, high: 1.5)
    var seedCounts = [Int](repeating: 0, count: 8)
    for step in 0..<800 {
      let y = layer.forward(x, training(step: step))
      for s in 0..<2 {
        var dropped: [Int] = []
        for ch in 0..<8 {
          let f = (0..<36).map { p in y.storage[(s * 36 + p) * 8 + ch] / x.storage[(s * 36 + p) * 8 + ch] }
          if f.allSatisfy({ $0 == 0 }) {
            dropped.append(ch)
          } else {
            #expect(f.allSatisfy { abs($0 - 1 / 0.75) < 1e-5 })
          }
        }
        #expect(dropped.count == 2)  // ⌊8 · 0.25⌋
      }
    }
    // Seed channel uniform: draw the seeds the layer draws and check their spread.
    for step in 0..<800 {
      let u = training(step: step).key.fold(5).uniforms(2)
      for v in u { seedCounts[min(7, Int(Double(v) * 8))] += 1 }
    }
    #expect(seedCounts.allSatisfy { abs(Double($0) / 1600 - 0.125) < 0.03 }, "\(seedCounts)")
    #expect(layer.forward(x, .evaluation) == x)
  }

  @Test func theDroppedGroupFollowsTheSeedsNeighbours() {
    // In the four-peak map, whichever seed is drawn, its partner (same corner) is the other channel dropped.
    let layer = ChannelDropBlock(rate: 0.5, metric: .maxActivation, stream: 6)
    let x = Self.fourPeaks()
    var pairs = Set<[Int]>()
    for step in 0..<200 {
      let y = layer.forward(x, training(step: step))
      let dropped = (0..<4).filter { ch in (0..<16).allSatisfy { y.storage[$0 * 4 + ch] == 0 } }
      // Every channel is nonzero somewhere, so "all zero" means dropped.
      pairs.insert(dropped)
    }
    #expect(pairs == [[0, 1], [2, 3]])
  }
}
