import Data
import Foundation
import Support
import NN
import Regularizers
import Tensor

/// Pictures of what each regularizer drops, on real Fashion-MNIST test images: the seed notes' analogy (Dropout
/// drops elements, SpatialDropout whole channels, DropBlock contiguous regions, Cutout an input patch) and
/// Heuristic Dropout's channel choice on the feature maps of a conv layer. Writes `.dat` + `.gp` (re-rendered by
/// `gnuplot Reports/figures/<name>.gp` alone) and renders SVG and PNG.
public enum MaskGallery {
  /// One panel: a matrix of pixel values and its title.
  struct Panel {
    var title: String
    var pixels: [Float]
    var size: Int
  }

  /// Writes `masks-analogy` and `masks-heuristic-dropout` into `directory`; returns the script paths.
  public static func write(to directory: URL, render: Bool) throws -> [URL] {
    let data = try DatasetRegistry.load("fashion-mnist", options: DatasetOptions(trainSize: 1000, testSize: 1000))
    let images = data.test.images.slice(rows: 0..<4)
    let key = RandomKey(seed: 7).fold(.mask)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let analogy = try figure(
      name: "masks-analogy", columns: 4, panels: analogyPanels(images, key: key), in: directory,
      title: "What each method drops (4 Fashion-MNIST test images; grey = 0 after normalisation)")
    let heuristic = try figure(
      name: "masks-heuristic-dropout", columns: 8, panels: heuristicPanels(images.slice(rows: 0..<1)), in: directory,
      title: "Heuristic Dropout (k = 2, top 10% of 16 channels): scores of an untrained conv3x3 layer's maps")
    if render {
      for script in [analogy, heuristic] { try renderScript(script) }
    }
    return [analogy, heuristic]
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
    score >= 1000 ? String(format: "%.1e", score) : String(format: "%.2f", score)
  }

  static func figure(name: String, columns: Int, panels: [Panel], in directory: URL, title: String) throws -> URL {
    var dat = "# \(name): one block per panel (index i), \(panels.first?.size ?? 0)×\(panels.first?.size ?? 0) matrix\n"
    for panel in panels {
      for row in 0..<panel.size {
        dat += (0..<panel.size).map { String(format: "%.4f", panel.pixels[row * panel.size + $0]) }.joined(
          separator: " ")
        dat += "\n"
      }
      dat += "\n\n"
    }
    let rows = (panels.count + columns - 1) / columns
    var gp = """
      # Re-render with: gnuplot Reports/figures/\(name).gp (from anywhere)
      dir = system("dirname '" . ARG0 . "'")
      cd dir
      unset key; unset tics; unset border; unset colorbox
      set palette grey
      set size ratio -1
      set cbrange [-1.5:2.5]
      do for [term in "svg pngcairo"] {
        if (term eq "svg") { set terminal svg size \(columns * 130),\(rows * 150 + 40) font 'DejaVu Sans,9'; set output '\(name).svg' }
        else { set terminal pngcairo size \(columns * 130),\(rows * 150 + 40) font 'DejaVu Sans,9'; set output '\(name).png' }
        set multiplot layout \(rows),\(columns) title "\(title)"

      """
    for (i, panel) in panels.enumerated() {
      gp += "  set title \"\(panel.title)\"\n  plot '\(name).dat' index \(i) matrix with image\n"
    }
    gp += "  unset multiplot\n}\n"
    try AtomicFile.write(Data(dat.utf8), to: directory.appendingPathComponent("\(name).dat"))
    let script = directory.appendingPathComponent("\(name).gp")
    try AtomicFile.write(Data(gp.utf8), to: script)
    return script
  }

  static func renderScript(_ script: URL) throws {
    let output = try Subprocess.run(["gnuplot", script.path])
    if output.status != 0 {
      throw RunnerError.workerFailed(
        "gnuplot \(script.lastPathComponent) failed (\(output.status)): \(output.stderr) — `make deps` installs gnuplot-nox")
    }
  }
}
