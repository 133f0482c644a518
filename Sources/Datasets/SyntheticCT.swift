import Dispatch
import Foundation
import Hashing
import Tensor

/// `synthetic-ct-seg`: generated 64×64 CT-like slices with a binary target mask (see `CTPhantom`), and its variant
/// `synthetic-ct-seg-visible`, the same slices with the target brighter than every other structure.
///
/// Training image `i` is rendered from `RandomKey(seed: generatorSeed).fold(.dataset).fold(i)` and test image `i`
/// from the same key folded with `testIndexOffset + i`, so an image never depends on how many are generated and the
/// two splits never share an image. Sizes in `DatasetOptions` set how many images are generated (the first `n`);
/// the images are already independent draws, so `subsetSeed` has nothing to choose and is ignored. The two variants
/// draw every number from the same keys: image `i` of one is image `i` of the other — the same body, blobs, target
/// shape and noise — except for the target's contrast.
///
/// Why the variant: in `synthetic-ct-seg` the target (contrast 0.05–0.10) is fainter than the brightest blobs
/// (±0.06–0.16) of the same size, so which bright ellipse is the target is nearly a guess — the plain U-Net scores
/// 25–33% held-out Dice from 128 or 256 training images, at any budget (the 2026-12-07/08 calibration pilots of
/// heuristic-dropout-vs-others): a net that memorises, not one that segments and then over-fits, as the U-Net papers'
/// nets do (Pancreas-CT at ≈ 80% Dice). `synthetic-ct-seg-visible` puts the target at 0.18–0.26, above every blob,
/// so it can be found; blur and noise still blur its boundary.
struct SyntheticCT: Sendable {
  let name: String
  let parameters: CTPhantom.Parameters
  /// Normalisation of this variant's default split, computed once per process.
  private let normalizationMemo = Memo<Normalization>()

  static let standard = SyntheticCT(name: "synthetic-ct-seg", parameters: CTPhantom.Parameters())
  static let visibleTarget: SyntheticCT = {
    var parameters = CTPhantom.Parameters()
    parameters.targetContrast = 0.18...0.26
    return SyntheticCT(name: "synthetic-ct-seg-visible", parameters: parameters)
  }()
  /// Every variant, as registered.
  static let variants = [standard, visibleTarget]
  static func named(_ name: String) -> SyntheticCT? { variants.first { $0.name == name } }

  private init(name: String, parameters: CTPhantom.Parameters) {
    self.name = name
    self.parameters = parameters
  }

  /// Bump whenever the rendering code changes in a way `CTPhantom.Parameters` does not capture.
  static let version = "synthetic-ct-seg/v1"
  static let generatorSeed: UInt64 = 0xC7_5E6
  static let testIndexOffset = 1 << 40
  /// Held-out images (`DatasetOptions.heldOutSize`) come from a third index range, shared with neither split.
  static let heldOutIndexOffset = 1 << 41
  static let maximumSize = 1 << 20
  var info: DatasetInfo {
    DatasetInfo(
      imageShape: [parameters.side, parameters.side, 1], classes: 2, task: .segmentation, fullTrainSize: 512,
      fullTestSize: 256)
  }

  /// The dataset's "checksum": SHA-256 of the generator version, seed and every recipe parameter. There is no file
  /// to hash, and this changes exactly when the generated images can change, which is what cache keys need (the
  /// variants differ in a parameter, so in their checksums; `synthetic-ct-seg`'s is the one it always had).
  var checksums: [String: String] {
    [
      "generator": SHA256.hex(
        "\(Self.version) seed=\(Self.generatorSeed) test-offset=\(Self.testIndexOffset) \(parameters)")
    ]
  }

  /// Pixel statistics of the default-size training split: normalisation must not depend on the requested size, or
  /// the same image would be normalised differently from run to run. Computed once per process, from the images
  /// being loaded when they include the default split, otherwise by rendering it.
  func normalization(reusing rawTrain: Tensor?) -> Normalization {
    if let known = normalizationMemo.value { return known }
    let reference = info.fullTrainSize
    let raw: Tensor
    if let rawTrain, rawTrain.rows >= reference {
      raw = rawTrain.rows == reference ? rawTrain : rawTrain.slice(rows: 0..<reference)
    } else {
      raw = render(indices: 0..<reference).images
    }
    var sum = 0.0
    var sumSquares = 0.0
    for x in raw.storage {
      sum += Double(x)
      sumSquares += Double(x) * Double(x)
    }
    let mean = sum / Double(raw.count)
    let std = max(sumSquares / Double(raw.count) - mean * mean, 0).squareRoot()
    let result = Normalization(mean: Float(mean), std: Float(std > 0 ? std : 1))
    normalizationMemo.value = result
    return result
  }

  func load(_ options: DatasetOptions) throws -> Dataset {
    let trainSize = try size(options.trainSize ?? info.fullTrainSize, option: "train size")
    let testSize = try size(options.testSize ?? info.fullTestSize, option: "test size")
    let train = render(indices: 0..<trainSize)
    let test = render(indices: Self.testIndexOffset..<(Self.testIndexOffset + testSize))
    let normalization = normalization(reusing: train.images)
    func split(_ raw: (images: Tensor, masks: Tensor)) -> Split {
      var images = raw.images
      let scale = 1 / normalization.std
      let shift = normalization.mean
      images.withUnsafeMutableBufferPointer { buffer in
        for i in buffer.indices { buffer[i] = (buffer[i] - shift) * scale }
      }
      return Split(images: images, labels: [], masks: raw.masks)
    }
    let heldOut = options.heldOutSize.flatMap { n in
      n > 0 ? split(render(indices: Self.heldOutIndexOffset..<(Self.heldOutIndexOffset + n))) : nil
    }
    return Dataset(
      name: name, task: .segmentation, classes: info.classes, train: split(train), test: split(test),
      heldOut: heldOut, checksums: checksums, normalization: normalization)
  }

  private func size(_ value: Int, option: String) throws -> Int {
    guard value > 0 else {
      throw DataError.invalidOption(dataset: name, option: option, reason: "\(value) must be at least 1")
    }
    guard value <= Self.maximumSize else {
      throw DataError.subsetTooLarge(
        dataset: name, split: option == "train size" ? "training" : "test", requested: value, maximum: Self.maximumSize)
    }
    return value
  }

  /// Raw images (intensities in [0, 1]) and masks for the given image indices.
  func render(indices: Range<Int>) -> (images: Tensor, masks: Tensor) {
    let side = parameters.side
    let n = side * side
    let count = indices.count
    let phantom = CTPhantom(parameters: parameters)
    let key = RandomKey(seed: Self.generatorSeed).fold(RandomPurpose.dataset)
    var images = Tensor(shape: [count, side, side, 1])
    var masks = Tensor(shape: [count, side, side, 1])
    images.withUnsafeMutableBufferPointer { imageBuffer in
      masks.withUnsafeMutableBufferPointer { maskBuffer in
        let out = Output(images: imageBuffer.baseAddress!, masks: maskBuffer.baseAddress!)
        // Images are independent, so rendering them on every core changes no value.
        DispatchQueue.concurrentPerform(iterations: count) { j in
          phantom.render(
            key: key.fold(indices.lowerBound + j), image: out.images + j * n, mask: out.masks + j * n)
        }
      }
    }
    return (images, masks)
  }

  /// Destination pointers shared by the rendering tasks; each task writes only its own image's range.
  private struct Output: @unchecked Sendable {
    let images: UnsafeMutablePointer<Float>
    let masks: UnsafeMutablePointer<Float>
  }
}

/// A lock-protected value shared across threads, set at most a few times.
final class Memo<Value: Sendable>: @unchecked Sendable {
  // Guarded by `lock`; @unchecked because lock-protected state is invisible to the checker.
  private var stored: Value?
  private let lock = NSLock()

  var value: Value? {
    get { lock.withLock { stored } }
    set { lock.withLock { stored = newValue } }
  }
}
