import Tensor
import Testing

@testable import NN

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite struct LossesTests {
  let key = RandomKey(seed: 91)

  func labels(_ n: Int, classes: Int) -> [Int32] { (0..<n).map { Int32(key.fold(5).uniformInt($0, below: classes)) } }

  /// mean over rows of log Σ exp z − z_label, in Double.
  func referenceCrossEntropy(_ z: Tensor, _ labels: [Int32]) -> Double {
    let k = z.rowLength
    var total = 0.0
    for r in 0..<z.rows {
      let row = (0..<k).map { Double(z.storage[r * k + $0]) }
      let m = row.max()!
      total += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(labels[r])]
    }
    return total / Double(z.rows)
  }

  // Value: relative 1e-6 of the Double reference, including logits of ±50 that would overflow a naive exp.
  @Test(arguments: [1, 10]) func crossEntropyValue(_ scale: Double) {
    let z = Tensor.normal([6, 5], key: key.fold(1), scale: Float(scale * 5))
    let y = labels(6, classes: 5)
    let loss = Losses.softmaxCrossEntropy(logits: z, labels: y[...]).loss
    let expected = referenceCrossEntropy(z, y)
    #expect(loss.isFinite)
    #expect(abs(loss - expected) <= 1e-6 * max(1, expected))
  }

  @Test func crossEntropyReadsTheLabelSliceFromItsStart() {
    let z = Tensor.normal([2, 3], key: key.fold(2))
    let all: [Int32] = [0, 2, 1, 0]
    let loss = Losses.softmaxCrossEntropy(logits: z, labels: all[2..<4]).loss
    #expect(abs(loss - referenceCrossEntropy(z, [1, 0])) <= 1e-6)
  }

  // Gradient w.r.t. logits against central differences of the loss value: max relative error ≤ 1e-2, floor 1e-3,
  // h = 1e-2, every coordinate. Rows of the gradient sum to zero (softmax minus one-hot).
  @Test func crossEntropyGradient() {
    let z = Tensor.normal([4, 5], key: key.fold(3), scale: 2)
    let y = labels(4, classes: 5)
    let result = Losses.softmaxCrossEntropy(logits: z, labels: y[...])
    var report = GradientCheck.Report()
    GradientCheck().compare(result.gradient, at: z, samples: z.count, key: key.fold(4), label: "dz", into: &report) {
      Losses.softmaxCrossEntropy(logits: $0, labels: y[...]).loss
    }
    #expect(report.maxError <= 1e-2, "\(report)")
    #expect(report.checked == 20)
    for r in 0..<4 { #expect(abs((0..<5).map { Double(result.gradient.storage[r * 5 + $0]) }.reduce(0, +)) <= 1e-6) }
  }

  /// BCE with logits averaged over pixels plus 1 − mean soft Dice per image, in Double.
  func referenceDiceBCE(_ z: Tensor, _ t: Tensor, smooth: Double = 1) -> Double {
    let n = z.rows
    let m = z.rowLength
    var bce = 0.0
    var dice = 0.0
    for b in 0..<n {
      var intersection = 0.0
      var total = 0.0
      for i in (b * m)..<((b + 1) * m) {
        let (zi, ti) = (Double(z.storage[i]), Double(t.storage[i]))
        let p = 1 / (1 + exp(-zi))
        bce += -(ti * log(p) + (1 - ti) * log(1 - p))
        intersection += p * ti
        total += p + ti
      }
      dice += (2 * intersection + smooth) / (total + smooth)
    }
    return bce / Double(n * m) + 1 - dice / Double(n)
  }

  func masks(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, storage: Tensor.uniform(shape, key: key.fold(6)).storage.map { $0 < 0.3 ? 1 : 0 })
  }

  // Value: 1e-5 absolute of the Double reference on moderate logits.
  @Test func diceBCEValue() {
    let z = Tensor.normal([2, 6, 6, 1], key: key.fold(7), scale: 2)
    let t = masks([2, 6, 6, 1])
    let loss = Losses.diceBCE(logits: z, masks: t).loss
    #expect(abs(loss - referenceDiceBCE(z, t)) <= 1e-5)
  }

  @Test func diceBCEIsStableForLargeLogits() {
    let z = Tensor(shape: [1, 2, 2, 1], storage: [100, -100, 90, -90])
    let t = Tensor(shape: [1, 2, 2, 1], storage: [1, 0, 0, 1])
    let r = Losses.diceBCE(logits: z, masks: t)
    #expect(r.loss.isFinite && r.gradient.allFinite)
    // Two pixels right with certainty, two wrong by 90: BCE = 180 / 4; Dice = (2·1 + 1) / (4 + 1).
    #expect(abs(r.loss - (45 + 1 - 3.0 / 5)) <= 1e-4)
  }

  // Gradient w.r.t. logits against central differences of the loss value: max relative error ≤ 1e-2 with floor
  // 1e-4 (gradients are O(1/(N·H·W)) ≈ 1e-2), h = 1e-2, every coordinate.
  @Test func diceBCEGradient() {
    let z = Tensor.normal([2, 6, 6, 1], key: key.fold(8))
    let t = masks([2, 6, 6, 1])
    let result = Losses.diceBCE(logits: z, masks: t)
    var report = GradientCheck.Report()
    GradientCheck(floor: 1e-4).compare(
      result.gradient, at: z, samples: z.count, key: key.fold(9), label: "dz", into: &report
    ) {
      Losses.diceBCE(logits: $0, masks: t).loss
    }
    #expect(report.maxError <= 1e-2, "\(report)")
    #expect(report.checked == 72)
  }

  /// MSE by hand: outputs (1, 2; 3, 4) against (0, 2; 5, 4): squared errors 1, 0, 4, 0 → 5/4; gradient
  /// 2(y − t)/4. Finite differences agree at every coordinate.
  @Test func meanSquaredError() {
    let y = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
    let t = Tensor(shape: [2, 2], storage: [0, 2, 5, 4])
    let r = Losses.meanSquaredError(y, t)
    #expect(r.loss == 1.25)
    #expect(r.gradient.storage == [0.5, 0, -1, 0])
    let z = Tensor.normal([3, 2], key: key.fold(10))
    let target = Tensor.normal([3, 2], key: key.fold(11))
    var report = GradientCheck.Report()
    GradientCheck(floor: 1e-4).compare(
      Losses.meanSquaredError(z, target).gradient, at: z, samples: z.count, key: key.fold(12), label: "dy",
      into: &report
    ) { Losses.meanSquaredError($0, target).loss }
    #expect(report.maxError <= 1e-2, "\(report)")
  }
}
