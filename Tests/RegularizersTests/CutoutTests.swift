import NN
import Tensor
import Testing

@testable import Regularizers

@Suite struct CutoutTests {
  @Test func identityInEvalAndAtLengthZero() {
    let x = normalTensor([4, 8, 8, 3], seed: 1)
    #expect(Cutout(length: 4).forward(x, .evaluation) == x)
    let none = Cutout(length: 0)
    #expect(none.forward(x, training()) == x)
    #expect(none.backward(x) == x)
  }

  /// Every centre of a 7 × 9 image and every length up to the side, against a per-pixel reference.
  @Test func patchGeometryMatchesASlowReference() {
    let (h, w) = (7, 9)
    for length in 0...7 {
      for cy in 0..<h {
        for cx in 0..<w {
          let patch = Cutout.patch(centreRow: cy, centreColumn: cx, length: length, height: h, width: w)
          for i in 0..<h {
            for j in 0..<w {
              let inside =
                i >= cy - length / 2 && i < cy - length / 2 + length && j >= cx - length / 2
                && j < cx - length / 2 + length
              #expect(inside == (patch.rows.contains(i) && patch.columns.contains(j)))
            }
          }
        }
      }
    }
  }

  @Test func cornerCentresGiveClippedPatches() {
    let corner = Cutout.patch(centreRow: 0, centreColumn: 0, length: 8, height: 28, width: 28)
    #expect(corner.rows == 0..<4 && corner.columns == 0..<4 && corner.area == 16)
    let odd = Cutout.patch(centreRow: 27, centreColumn: 27, length: 7, height: 28, width: 28)
    #expect(odd.rows == 24..<28 && odd.area == 16)
    let inside = Cutout.patch(centreRow: 14, centreColumn: 14, length: 7, height: 28, width: 28)
    #expect(inside.rows == 11..<18 && inside.area == 49)
  }

  @Test func exactlyOnePatchPerImageInEveryChannel() {
    let (n, h, w, c) = (16, 12, 10, 3)
    let x = Tensor(shape: [n, h, w, c], repeating: 1)
    let layer = Cutout(length: 5)
    let context = training(step: 4)
    let y = layer.forward(x, context)
    let patches = Cutout.patches(batch: n, height: h, width: w, length: 5, key: context.key.fold(0))
    #expect(patches.count == n)
    for s in 0..<n {
      for i in 0..<h {
        for j in 0..<w {
          for ch in 0..<c {
            let zeroed = patches[s].rows.contains(i) && patches[s].columns.contains(j)
            #expect(y.storage[nhwc(s, i, j, ch, h: h, w: w, channels: c)] == (zeroed ? 0 : 1))
          }
        }
      }
    }
    let dx = layer.backward(x)
    #expect(dx == y)
  }

  /// 32 000 centres over an 8 × 8 image: every pixel, corners included, within 25% of the expected 500
  /// (binomial standard deviation ≈ 22, so the band is > 5 σ).
  @Test func centresCoverTheWholeImage() {
    let (h, w) = (8, 8)
    let patches = Cutout.patches(batch: 32_000, height: h, width: w, length: 4, key: RandomKey(seed: 5))
    var counts = [Int](repeating: 0, count: h * w)
    for patch in patches { counts[patch.centreRow * w + patch.centreColumn] += 1 }
    for count in counts { #expect(abs(Double(count) - 500) < 125) }
    #expect(counts[0] > 0 && counts[h * w - 1] > 0 && counts[w - 1] > 0 && counts[(h - 1) * w] > 0)
  }

  @Test func sameKeySamePatchesAndStepsDiffer() {
    let a = Cutout.patches(batch: 8, height: 28, width: 28, length: 8, key: training(step: 1).key)
    #expect(a == Cutout.patches(batch: 8, height: 28, width: 28, length: 8, key: training(step: 1).key))
    #expect(a != Cutout.patches(batch: 8, height: 28, width: 28, length: 8, key: training(step: 2).key))
  }
}
