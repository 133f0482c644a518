import Testing

@testable import Report

@Suite struct ExperimentListTests {
  @Test func oneRowPerExperiment() {
    let rows = [
      ExperimentList.Row(id: "a", method: "dropout", title: "t", runs: ["smoke": 2, "default": 12], verdict: nil),
      ExperimentList.Row(
        id: "b", method: "cutout", title: "t", runs: ["smoke": 1, "default": 6, "full": 30], verdict: "holds (default, 3 seeds)"),
    ]
    #expect(
      ExperimentList.markdown(rows) == """
        | experiment | method | smoke | default | full | last verdict |
        |---|---|---|---|---|---|
        | a | dropout | 2 | 12 | – | not run |
        | b | cutout | 1 | 6 | 30 | holds (default, 3 seeds) |

        """)
  }
}
