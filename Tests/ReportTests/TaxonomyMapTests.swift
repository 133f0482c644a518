import Experiments
import Foundation
import Testing

@testable import Report

@Suite struct TaxonomyMapTests {
  static func method(_ category: Taxonomy, _ actsOn: PlugPoint, _ dependsOn: Traits.Dependence) -> MethodFixture {
    MethodFixture(taxonomy: category, traits: Traits(dependsOn: dependsOn), plugPoint: actsOn)
  }

  /// Each method at (its transformation space, what its drop depends on); two in one cell stacked 0.22 apart
  /// around it; `none` left out; one data block per category, in the report's category order.
  @Test func methodsArePlacedByTheirAttributes() {
    let map = TaxonomyMap(methods: [
      "cutout": Self.method(.data, .input, .chance),
      "dropout": Self.method(.architecture, .activation, .chance),
      "structural-dropout": Self.method(.architecture, .activation, .chance),
      "nsdropout": Self.method(.architecture, .vector, .labelsAndValidation),
      "none": Self.method(.architecture, .activation, .chance),
    ])
    let placed = map.placed
    #expect(placed.map(\.name) == ["cutout", "dropout", "structural-dropout", "nsdropout"])
    #expect(placed[0].x == 0 && placed[0].y == 0)
    #expect(placed[1].x == 2 && abs(placed[1].y + 0.11) < 1e-12)
    #expect(placed[2].x == 2 && abs(placed[2].y - 0.11) < 1e-12)
    #expect(placed[3].x == 4 && placed[3].y == 4)
    let blocks = map.data.components(separatedBy: "\n\n\n")
    #expect(blocks.count == 2)
    #expect(blocks[0].hasSuffix("# data\n0 0.000 cutout"))
    #expect(blocks[1] == "# architecture\n2 -0.110 dropout\n2 0.110 structural-dropout\n4 4.000 nsdropout\n")
    #expect(map.script.contains("index 1 using 1:2:3 with labels point pt 7 ps 0.9 lc rgb '#d95f02'"))
    #expect(map.script.contains("'tree gates' 8"))
  }

  @Test func theReportWritesItBesideTheMethodTable() throws {
    let dir = try Fixtures.temporaryDirectory("taxonomy-map")
    defer { try? FileManager.default.removeItem(at: dir) }
    let methods = ["cutout": Self.method(.data, .input, .chance) as any MethodDescription]
    try ReportWriter.writeAll(
      results: [Fixtures.arms()], to: dir, taxonomy: ["cutout": "data"], methods: methods, render: false)
    let data = try String(contentsOf: dir.appendingPathComponent("figures/taxonomy-map.dat"), encoding: .utf8)
    #expect(data.contains("0 0.000 cutout"))
    let readme = try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains("![Methods by transformation space and dependence](figures/taxonomy-map.svg)"))
  }
}
