import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

/// CutMix: the pasted box comes from the partner, the soft labels weigh each label by its share of the image, λ is
/// Beta(α, α), and steps not chosen leave the batch alone.
@Suite struct CutMixTests {
  /// Image s is filled with the value s, label s mod 3, so every pixel says where it came from.
  static func batch(_ n: Int) -> Batch {
    var images = Tensor(shape: [n, 8, 8, 1])
    for s in 0..<n { for p in 0..<64 { images.storage[s * 64 + p] = Float(s) } }
    return Batch(images: images, targets: .labels((0..<n).map { Int32($0 % 3) }), indices: Array(0..<n))
  }

  @Test func pastedPixelsComeFromThePartnerAndLabelsWeighTheirArea() {
    let cutmix = CutMix(alpha: 1, prob: 1, classes: 3, stream: 2)
    var mixedSteps = 0
    for step in 0..<50 {
      let out = cutmix.transform(Self.batch(6), training(step: step))
      guard case .soft(let t) = out.targets else {
        Issue.record("no soft targets at step \(step)")
        continue
      }
      mixedSteps += 1
      for s in 0..<6 {
        let pixels = Array(out.images.storage[(s * 64)..<((s + 1) * 64)])
        let foreign = pixels.filter { $0 != Float(s) }
        // Every foreign pixel comes from one partner, and the label weights are the area shares.
        #expect(Set(foreign).count <= 1)
        let share = Double(foreign.count) / 64
        let row = Array(t.storage[(s * 3)..<((s + 1) * 3)])
        #expect(abs(Double(row.reduce(0, +)) - 1) < 1e-6)
        if let partner = foreign.first.map({ Int($0) }), partner % 3 != s % 3 {
          #expect(abs(Double(row[partner % 3]) - share) < 1e-6 && abs(Double(row[s % 3]) - (1 - share)) < 1e-6)
        }
      }
    }
    #expect(mixedSteps == 50)
  }

  @Test func theBoxHasTheRequestedAreaWhenItFits() {
    let (rows, columns) = CutMix.box(lambda: 0.75, centre: (0.5, 0.5), h: 16, w: 16)
    #expect(rows == 4..<12 && columns == 4..<12)  // √0.25 · 16 = 8: a quarter of the image
    let (edge, _) = CutMix.box(lambda: 0.75, centre: (0.01, 0.5), h: 16, w: 16)
    #expect(edge == 0..<4)  // clipped at the border
  }

  /// Beta(α, α) from two Gamma(α) variates: mean 1/2, variance 1/(4(2α + 1)).
  @Test func lambdaIsBetaDistributed() {
    for alpha in [0.5, 1.0, 2.0] {
      var state: UInt64 = 12345
      func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Double(state >> 11) + 0.5) / 9_007_199_254_740_992
      }
      let draws = (0..<20000).map { _ -> Double in
        let a = CutMix.gamma(alpha, next: next)
        let b = CutMix.gamma(alpha, next: next)
        return a / (a + b)
      }
      let mean = draws.reduce(0, +) / Double(draws.count)
      let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count - 1)
      #expect(abs(mean - 0.5) < 0.01, "α \(alpha): mean \(mean)")
      #expect(abs(variance - 1 / (4 * (2 * alpha + 1))) < 0.01, "α \(alpha): variance \(variance)")
    }
  }

  @Test func unchosenStepsMasksAndZeroProbabilityLeaveTheBatchAlone() {
    let never = CutMix(alpha: 1, prob: 0, classes: 3, stream: 1)
    let b = Self.batch(4)
    #expect(never.transform(b, training(step: 3)).images == b.images)
    let sometimes = CutMix(alpha: 1, prob: 0.3, classes: 3, stream: 1)
    let mixed = (0..<2000).filter { step in
      if case .soft = sometimes.transform(b, training(step: step)).targets { return true }
      return false
    }.count
    #expect(abs(Double(mixed) / 2000 - 0.3) < 0.04)
    let masks = Batch(images: b.images, targets: .masks(Tensor(shape: [4, 8, 8, 1])), indices: b.indices)
    #expect(CutMix(alpha: 1, prob: 1, classes: 3).transform(masks, training(step: 0)).images == b.images)
  }
}
