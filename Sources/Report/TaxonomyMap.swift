import Experiments
import Foundation

/// `Reports/figures/taxonomy-map.{dat,gp}`: every registry method placed by what it transforms (Kukačka et al.'s
/// transformation space, x) and what its choice of what to drop depends on (y), coloured by taxonomy category;
/// methods sharing a cell are stacked inside it. Written with the verdict table, from the registry alone.
struct TaxonomyMap {
  static let id = "taxonomy-map"
  /// The x axis: from the data to the network's inside to the training loop.
  static let spaces = [
    "input images", "the training loop", "activations", "feature maps", "fully connected units", "weights",
    "residual branches", "expert routing", "tree gates",
  ]
  /// The y axis: from chance alone to what the method learns or measures.
  static let dependences = [
    "chance only", "the activations", "the weights", "the labels", "labels and validation data",
    "statistics over training", "learnt parameters",
  ]

  let methods: [String: any MethodDescription]

  /// (method, x, y, category) with x nudged per method sharing a cell, in a stable order.
  var placed: [(name: String, x: Double, y: Double, category: String)] {
    var cells: [[Int]: [String]] = [:]
    for name in methods.keys.sorted() where name != "none" {
      let m = methods[name]!
      let x = Self.spaces.firstIndex(of: m.plugPoint.actsOn) ?? Self.spaces.count
      let y = Self.dependences.firstIndex(of: m.traits.dependsOn.rawValue) ?? Self.dependences.count
      cells[[x, y], default: []].append(name)
    }
    var out: [(String, Double, Double, String)] = []
    for (cell, names) in cells.sorted(by: { ($0.key[0], $0.key[1]) < ($1.key[0], $1.key[1]) }) {
      for (i, name) in names.enumerated() {
        let y = Double(cell[1]) + (Double(i) - Double(names.count - 1) / 2) * 0.22
        out.append((name, Double(cell[0]), y, methods[name]!.taxonomy.rawValue))
      }
    }
    return out
  }

  var data: String {
    var s = "# taxonomy-map: registry methods by transformation space (x) and what the drop depends on (y)\n"
    s += "# x: " + Self.spaces.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ") + "\n"
    s += "# y: " + Self.dependences.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ") + "\n"
    s += "# columns: x y method (one block per category)\n"
    let placed = self.placed
    var first = true
    for category in ComparisonFigure.categoryOrder {
      let members = placed.filter { $0.category == category }
      guard !members.isEmpty else { continue }
      s += first ? "\n" : "\n\n"
      first = false
      s += "# \(category)\n"
      for m in members { s += "\(Fmt.axis(m.x)) \(Fmt.fixed(m.y, 3)) \(m.name)\n" }
    }
    return s
  }

  var script: String {
    let quote = Figure.quote
    let present = ComparisonFigure.categoryOrder.filter { c in placed.contains { $0.category == c } }
    var body = "set title 'Regularizers by what they transform and what their drop depends on (Kukačka et al. 2017)'\n"
    body += "set xtics (" + Self.spaces.enumerated().map { "\(quote($0.element)) \($0.offset)" }.joined(separator: ", ")
    body += ") rotate by -30 left font ',9'\n"
    body += "set ytics (" + Self.dependences.enumerated().map { "\(quote($0.element)) \($0.offset)" }
      .joined(separator: ", ") + ") font ',9'\n"
    body += "set xrange [-0.4:\(Self.spaces.count - 1).9]\nset yrange [-0.6:\(Self.dependences.count - 1).6]\n"
    body += "set grid xtics ytics\nset key outside right top font ',9'\nset bmargin 7\nset lmargin 24\n"
    body += "plot " + present.enumerated().map { i, c in
      let file = i == 0 ? quote("\(Self.id).dat") : "''"
      let colour = ComparisonFigure.colours[c] ?? "#000000"
      return "\(file) index \(i) using 1:2:3 with labels point pt 7 ps 0.9 lc rgb '\(colour)' tc rgb '\(colour)' "
        + "offset character 0.7, 0 left font ',8' title \(quote(c))"
    }.joined(separator: ", \\\n     ") + "\n"
    var s = Figure.header(id: Self.id, title: "every registry method by transformation space and dependence")
    s += "set terminal svg size 1400,600 font 'DejaVu Sans,11'\nset termoption noenhanced\n"
    s += "set output \(quote("\(Self.id).svg"))\n" + body
    s += "\nset terminal pngcairo size 1400,600 font 'DejaVu Sans,11'\nset termoption noenhanced\n"
    s += "set output \(quote("\(Self.id).png"))\nreplot\nset output\n"
    return s
  }
}
