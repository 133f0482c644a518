import Foundation

/// A grid of grey-scale images as a gnuplot figure: `<name>.dat` (one matrix block per panel) and `<name>.gp`, a
/// self-contained script that writes `<name>.svg` and `<name>.png` next to itself (`gnuplot
/// Reports/figures/<name>.gp` alone re-renders it). `dropbench masks` draws what each regularizer drops with it.
public struct ImageGridFigure: Sendable, Equatable {
  /// One panel: a square matrix of pixel values (`size` × `size`, row-major) and its title.
  public struct Panel: Sendable, Equatable {
    public var title: String
    public var pixels: [Float]
    public var size: Int

    public init(title: String, pixels: [Float], size: Int) {
      self.title = title
      self.pixels = pixels
      self.size = size
    }
  }

  /// The stem of the figure's files.
  public let name: String
  /// The text of `<name>.dat`.
  public let data: String
  /// The text of `<name>.gp`.
  public let script: String

  public init(name: String, columns: Int, title: String, panels: [Panel]) {
    self.name = name
    var dat = "# \(name): one block per panel (index i), \(panels.first?.size ?? 0)×\(panels.first?.size ?? 0) matrix\n"
    for panel in panels {
      for row in 0..<panel.size {
        dat += (0..<panel.size).map { Fmt.decimals(Double(panel.pixels[row * panel.size + $0]), 4) }.joined(
          separator: " ")
        dat += "\n"
      }
      dat += "\n\n"
    }
    data = dat
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
    script = gp
  }

  /// Writes `<name>.dat` and `<name>.gp` into `directory` (unchanged files are left alone) and, with `render`, runs
  /// gnuplot on the script; returns the script's URL.
  @discardableResult
  public func write(to directory: URL, render: Bool) throws -> URL {
    try ReportWriter.writeIfChanged(Data(data.utf8), to: directory.appendingPathComponent("\(name).dat"))
    let scriptURL = directory.appendingPathComponent("\(name).gp")
    try ReportWriter.writeIfChanged(Data(script.utf8), to: scriptURL)
    if render { try Figure.render(scriptPath: scriptURL.path) }
    return scriptURL
  }
}
