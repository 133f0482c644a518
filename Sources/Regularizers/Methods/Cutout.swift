import NN
import Tensor

/// DeVries & Taylor, "Improved Regularization of Convolutional Neural Networks with Cutout", arXiv:1708.04552 (2017).
///
/// On the normalised input images `[N, H, W, C]`: per training image one square of side `length` whose centre is
/// uniform over all H·W pixels is set to 0 in every channel, clipped at the borders (so patches near a border
/// are smaller), with no rescaling. The patch covers rows `cy − length/2 ..< cy − length/2 + length` (integer
/// division) and likewise columns: the reference code's rows for even lengths, and a true side of `length` for
/// odd ones (the reference's `±length//2` gives `length − 1`). Taxonomy: data.
public final class Cutout: Layer, RowwiseEvaluation {
  /// One image's patch: its centre and the clipped rows and columns it zeroes (possibly empty when `length` is 0).
  public struct Patch: Sendable, Hashable {
    public let centreRow: Int
    public let centreColumn: Int
    public let rows: Range<Int>
    public let columns: Range<Int>

    public var area: Int { rows.count * columns.count }
  }

  public let length: Int
  public let stream: UInt64
  /// The patches of the last training forward, or nil when that forward was the identity.
  private var patches: [Patch]?

  /// `length` in [0, min(H, W)] (see `descriptor.validate`).
  public init(length: Int, stream: UInt64 = 0) {
    precondition(length >= 0, "Cutout: negative length \(length)")
    self.length = length
    self.stream = stream
  }

  /// The patch of side `length` centred at (`centreRow`, `centreColumn`), clipped to a `height × width` image.
  public static func patch(centreRow: Int, centreColumn: Int, length: Int, height: Int, width: Int) -> Patch {
    let top = centreRow - length / 2
    let left = centreColumn - length / 2
    return Patch(
      centreRow: centreRow, centreColumn: centreColumn,
      rows: max(0, top)..<max(0, min(height, top + length)),
      columns: max(0, left)..<max(0, min(width, left + length)))
  }

  /// One patch per image of a batch: image `i`'s centre is pixel `uniformInt(i, below: H·W)` of `key`, row-major.
  public static func patches(batch: Int, height: Int, width: Int, length: Int, key: RandomKey) -> [Patch] {
    (0..<batch).map { i in
      let pixel = key.uniformInt(i, below: height * width)
      return patch(centreRow: pixel / width, centreColumn: pixel % width, length: length, height: height, width: width)
    }
  }

  /// `x` with every patch zeroed in all channels (`x` is `[N, H, W, C]`, one patch per image).
  public static func apply(_ patches: [Patch], to x: Tensor) -> Tensor {
    let (h, w, c) = (x.shape[1], x.shape[2], x.shape[3])
    var y = x
    y.withUnsafeMutableBufferPointer { ys in
      for (i, patch) in patches.enumerated() where patch.area > 0 {
        for row in patch.rows {
          let start = ((i * h + row) * w + patch.columns.lowerBound) * c
          ys.baseAddress!.advanced(by: start).update(repeating: 0, count: patch.columns.count * c)
        }
      }
    }
    return y
  }

  /// The identity at evaluation.
  public var evaluatesRowwise: Bool { true }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    guard context.mode == .train, length > 0 else {
      patches = nil
      return x
    }
    precondition(x.rank == 4, "Cutout: expected images [N, H, W, C], got \(x.shape)")
    let drawn = Self.patches(
      batch: x.rows, height: x.shape[1], width: x.shape[2], length: length, key: context.key.fold(stream))
    patches = drawn
    return Self.apply(drawn, to: x)
  }

  /// The gradient with the patches zeroed: the input pixels under a patch do not reach the output.
  public func backward(_ dy: Tensor) -> Tensor {
    guard let patches else { return dy }
    return Self.apply(patches, to: dy)
  }
}

extension Cutout {
  public static let descriptor = RegularizerDescriptor(
    name: "cutout", taxonomy: .data,
    summary: "Zeroes one square patch per training image, centred uniformly over the image and clipped at borders.",
    citation: "DeVries & Taylor, Improved Regularization of Convolutional Neural Networks with Cutout, 2017",
    parameters: [
      ParameterDescription(
        name: "length", kind: .int(min: 0, max: nil), defaultValue: .int(16),
        doc: "side of the square patch in pixels (CIFAR-10 best 16 of 32); 0 is the identity.")
    ],
    plugsInto: .input,
    identity: ["length": .int(0)],
    check: { params, site in
      let length = params.int("length")
      let side = min(site.shape[0], site.shape[1])
      guard length <= side else {
        return "cutout: length \(length) is larger than the \(site.shape[0])×\(site.shape[1]) input images; "
          + "use length ≤ \(side)."
      }
      return nil
    },
    expectations: { params, site in
      [
        .dropFraction(expectedDropFraction(length: params.int("length"), height: site.shape[0], width: site.shape[1])),
        .keptValue(1), .evaluationIdentity,
      ]
    },
    build: { params, site in .layer(Cutout(length: params.int("length"), stream: site.stream)) })

  /// The expected fraction of an image a patch zeroes, from the centre being uniform over all H·W pixels and the
  /// patch clipped at the borders: the mean over centres of (clipped rows × clipped columns) / (H·W).
  public static func expectedDropFraction(length: Int, height h: Int, width w: Int) -> Double {
    func clipped(_ centre: Int, _ extent: Int) -> Int {
      let start = centre - length / 2
      return max(0, min(extent, start + length) - max(0, start))
    }
    let rows = (0..<h).map { clipped($0, h) }.reduce(0, +)
    let columns = (0..<w).map { clipped($0, w) }.reduce(0, +)
    return Double(rows * columns) / Double(h * w * h * w)
  }
}
