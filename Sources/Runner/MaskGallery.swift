import Datasets
import Foundation
import NN
import NumberFormat
import Regularizers
import Tensor

/// Pictures of what each regularizer drops, on real Fashion-MNIST test images: the seed notes' analogy (Dropout
/// drops elements, SpatialDropout whole channels, DropBlock contiguous regions, Cutout an input patch) and
/// Heuristic Dropout's channel choice on the feature maps of a conv layer. The pictures only: Report's
/// `ImageGridFigure` writes them as gnuplot figures.
public enum MaskGallery {
  /// One panel: a square matrix of pixel values (`size` × `size`, row-major) and its title.
  public struct Panel: Sendable, Equatable {
    public var title: String
    public var pixels: [Float]
    public var size: Int
  }

  /// One picture: its file stem, panels per row, title and panels.
  public struct Picture: Sendable, Equatable {
    public var name: String
    public var columns: Int
    public var title: String
    public var panels: [Panel]
  }

  /// `masks-analogy` and `masks-heuristic-dropout`.
  public static func pictures() throws -> [Picture] {
    let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 1000, testSize: 1000))
    let images = data.test.images.slice(rows: 0..<4)
    let key = RandomKey(seed: 7).fold(.mask)
    return [
      Picture(
        name: "masks-analogy", columns: 4,
        title: "What each method drops (4 Fashion-MNIST test images; grey = 0 after normalisation)",
        panels: analogyPanels(images, key: key)),
      Picture(
        name: "masks-heuristic-dropout", columns: 8,
        title: "Heuristic Dropout (k = 2, top 10% of 16 channels): scores of an untrained conv3x3 layer's maps",
        panels: try heuristicPanels(images.slice(rows: 0..<1))),
    ]
  }

  static func analogyPanels(_ images: Tensor, key: RandomKey) -> [Panel] {
    let side = images.shape[1]
    let n = images.rows
    func panels(_ label: String, _ x: Tensor) -> [Panel] {
      (0..<n).map { i in
        Panel(title: i == 0 ? label : "", pixels: Array(x.slice(rows: i..<(i + 1)).storage), size: side)
      }
    }
    func masked(_ mask: [Float]) -> Tensor {
      Tensor(shape: images.shape, storage: zip(images.storage, mask).map { $0 * $1 })
    }
    let dropout = masked(Dropout.mask(count: images.count, rate: 0.25, key: key.fold(1)))
    // The four images as four channels of one sample: SpatialDropout keeps or drops each channel whole.
    let channelMask = SpatialDropout.mask(batch: 1, channels: n, rate: 0.5, key: key.fold(2))
    let spatial = masked(images.storage.indices.map { channelMask[$0 / (side * side)] })
    let dropBlock = masked(
      DropBlock.mask(shape: images.shape, rate: 0.25, blockSize: 7, shared: false, key: key.fold(3)))
    let cutout = Cutout.apply(
      Cutout.patches(batch: n, height: side, width: side, length: 14, key: key.fold(4)), to: images)
    return panels("input", images) + panels("Dropout 0.25", dropout) + panels("SpatialDropout 0.5", spatial)
      + panels("DropBlock bs 7, 0.25", dropBlock) + panels("Cutout L = 14", cutout)
  }

  static func heuristicPanels(_ image: Tensor) throws -> [Panel] {
    let conv = Conv2d(
      inChannels: 1, outChannels: 16, kernel: 3, padding: 1, key: RandomKey(seed: 11).fold(.initialization))
    let maps = ReLU().forward(conv.forward(image, .evaluation), .evaluation)
    let (side, channels) = (maps.shape[1], maps.shape[3])
    let scores = HeuristicDropout.scores(maps, k: 2)
    let chosen = HeuristicDropout.selectChannels(
      scores: scores, channels: channels, fraction: 0.1, selection: .top, key: RandomKey(seed: 0))[0]
    let replaced = HeuristicDropout.laplacian(maps, channels: [chosen])
    func channel(_ t: Tensor, _ c: Int) -> [Float] { (0..<(side * side)).map { t.storage[$0 * channels + c] } }
    var panels = (0..<channels).map { c in
      Panel(title: "\(chosen.contains(c) ? "* " : "")s=\(format(scores[c]))", pixels: channel(maps, c), size: side)
    }
    panels += chosen.map { c in Panel(title: "ch \(c): Laplacian", pixels: channel(replaced, c), size: side) }
    return panels
  }

  static func format(_ score: Double) -> String {
    score >= 1000 ? Fmt.scientific(score, 1) : Fmt.decimals(score, 2)
  }
}
