import NN
import Tensor
import Testing

@testable import Regularizers

/// Clustering-based dropout: k-means and halves by hand, rates ordered by response, groups recomputed only at
/// epoch boundaries from that epoch's statistic, per-group drop frequencies at their rates.
@Suite struct ClusteringDropoutTests {
  @Test func kMeansAndHalvesByHand() {
    let values = [0.1, 5.0, 0.2, 9.8, 5.2, 10.0]
    let (groups, count) = ClusteringDropout.kMeans(values, k: 3)
    #expect(count == 3 && groups == [0, 1, 0, 2, 1, 2])
    let rates = ClusteringDropout.rates(for: values, grouping: .kmeans, clusters: 3, low: 0.1, high: 0.5)
    #expect(zip(rates, [0.5, 0.3, 0.5, 0.1, 0.3, 0.1]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(rates)")
    // Biased dropout: the weaker half gets `high`, the stronger `low`; ties by unit index.
    let halves = ClusteringDropout.rates(for: [3, 1, 2, 2], grouping: .halves, clusters: 0, low: 0.1, high: 0.5)
    #expect(halves == [0.1, 0.5, 0.5, 0.1])
    // Identical values: one group, the middle rate.
    #expect(ClusteringDropout.rates(for: [1, 1, 1], grouping: .kmeans, clusters: 3, low: 0.2, high: 0.4)
      .allSatisfy { abs($0 - 0.3) < 1e-12 })
  }

  /// Units 0–3 respond strongly, 4–7 weakly. During the first epoch every unit drops at the middle rate; after the
  /// epoch ends the strong ones drop at `low` and the weak at `high` — and not before.
  @Test func groupsChangeOnlyAtEpochEndsAndFrequenciesMatchTheirRates() {
    let layer = ClusteringDropout(units: 8, grouping: .halves, low: 0.1, high: 0.5, stream: 3)
    var x = Tensor(shape: [16, 8])
    for n in 0..<16 { for u in 0..<8 { x.storage[n * 8 + u] = u < 4 ? 3 : 0.5 } }
    func frequencies(steps: Range<Int>) -> [Double] {
      var dropped = [Int](repeating: 0, count: 8)
      for step in steps {
        let y = layer.forward(x, training(step: step))
        for i in 0..<y.count where y.storage[i] == 0 { dropped[i % 8] += 1 }
      }
      return dropped.map { Double($0) / Double(16 * steps.count) }
    }
    let first = frequencies(steps: 0..<400)
    #expect(layer.rates.allSatisfy { $0 == 0.3 })
    #expect(first.allSatisfy { abs($0 - 0.3) < 0.03 }, "\(first)")
    layer.epochEnd(0)
    #expect(layer.rates == [0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5])
    let second = frequencies(steps: 400..<800)
    #expect(second[0..<4].allSatisfy { abs($0 - 0.1) < 0.03 } && second[4...].allSatisfy { abs($0 - 0.5) < 0.03 }, "\(second)")
    layer.epochEnd(1)
    // The statistic restarts each epoch: an epoch where the weak units turn strong swaps the rates at its end.
    for n in 0..<16 { for u in 0..<8 { x.storage[n * 8 + u] = u < 4 ? 0.5 : 3 } }
    _ = frequencies(steps: 800..<810)
    #expect(layer.rates == [0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5])  // unchanged mid-epoch
    layer.epochEnd(2)
    #expect(layer.rates == [0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1])
  }

  @Test func gradientStatisticAndInvertedScaling() {
    let layer = ClusteringDropout(units: 4, statistic: .featureGradient, grouping: .halves, low: 0, high: 0.5, stream: 1)
    let x = uniformTensor([8, 4], seed: 2, low: 0.5, high: 1.5)
    for step in 0..<20 {
      let y = layer.forward(x, training(step: step))
      for i in 0..<y.count where y.storage[i] != 0 { #expect(abs(y.storage[i] / x.storage[i] - 1 / 0.75) < 1e-5) }
      // Gradients large on units 2 and 3.
      var dy = Tensor(shape: [8, 4])
      for n in 0..<8 { for u in 0..<4 { dy.storage[n * 4 + u] = u >= 2 ? 5 : 0.1 } }
      let dx = layer.backward(dy)
      for i in 0..<dx.count { #expect(abs(dx.storage[i] - (y.storage[i] == 0 ? 0 : dy.storage[i] / 0.75)) < 1e-5) }
    }
    layer.epochEnd(0)
    #expect(layer.rates == [0.5, 0.5, 0, 0])
    #expect(layer.forward(x, .evaluation) == x)
  }

  @Test func onlyFullyConnectedSites() {
    #expect(ClusteringDropout.descriptor.validate([:], Site(name: "conv1", shape: [28, 28, 32], stream: 0)) != nil)
    #expect(ClusteringDropout.descriptor.validate([:], Site(name: "hidden1", shape: [128], stream: 0)) == nil)
    #expect(ClusteringDropout.descriptor.validate(["low": .double(0.5), "high": .double(0.2)], Site(name: "h", shape: [4], stream: 0)) != nil)
  }
}
