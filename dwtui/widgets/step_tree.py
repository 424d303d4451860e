"""The phases -> steps tree with a status mark per step and `n/m` per phase."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from dwtui.checklist.model import Step
from dwtui.screens.controller import SessionController

MARK_STYLES = {
    "pending": "dim",
    "running": "bold yellow",
    "passed": "bold green",
    "failed": "bold red",
    "skipped": "cyan",
    "interrupted": "bold magenta",
}


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for."""

    kind: str  # "phase", "scenario", "step", "section"
    id: str


class StepTree(Tree[NodeRef]):
    """Phases (and optionally rollback scenarios) with their steps.

    `scope` limits the tree to one rollback scenario (the scenario screen).
    """

    # Enter runs and space ticks (the screen decides; on a phase line they fold it), so
    # Tree's own select/toggle keys are replaced; a mouse click still only moves the cursor.
    BINDINGS = [
        Binding("enter", "screen.run_step", "Run step", id="tree.run", show=False),
        Binding("space", "screen.mark_done", "Done", id="tree.done"),
    ]

    def __init__(
        self,
        controller: SessionController,
        *,
        scope: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__("steps", data=NodeRef("section", ""), id=id)
        self.controller = controller
        self.scope = scope
        self.show_root = False
        self.guide_depth = 2
        self._step_nodes: dict[str, TreeNode[NodeRef]] = {}
        self._group_nodes: dict[str, TreeNode[NodeRef]] = {}
        self.frame = 0

    def on_mount(self) -> None:
        """Build the nodes once; labels are refreshed in place afterwards."""
        self.build()

    def build(self) -> None:
        """(Re)create every node from the checklist."""
        self.clear()
        self._step_nodes.clear()
        self._group_nodes.clear()
        c = self.controller
        if self.scope is None:
            for phase in c.phases():
                node = self.root.add("", data=NodeRef("phase", phase.id), expand=True)
                self._group_nodes[phase.id] = node
                for step in phase.steps:
                    self._add_step(node, step)
            if c.scenarios():
                section = self.root.add(
                    Text("Rollback scenarios", style="bold red"),
                    data=NodeRef("section", "rollback"),
                    expand=False,
                )
                for scenario in c.scenarios():
                    node = section.add("", data=NodeRef("scenario", scenario.id), expand=True)
                    self._group_nodes[scenario.id] = node
                    for step in scenario.steps:
                        self._add_step(node, step)
        else:
            for step in c.steps_of(self.scope):
                self._add_step(self.root, step)
        self.refresh_labels()

    def _add_step(self, parent: TreeNode[NodeRef], step: Step) -> None:
        self._step_nodes[step.id] = parent.add_leaf("", data=NodeRef("step", step.id))

    def step_label(self, step: Step) -> Text:
        """`✓ Title` with the mark coloured; a running step shows elapsed seconds."""
        c = self.controller
        status = c.status(step.id)
        label = Text()
        label.append(c.mark_of(step.id, self.frame), style=MARK_STYLES.get(status, ""))
        label.append(" ")
        label.append(step.title, style="dim" if status == "skipped" else "")
        if step.confirm:
            label.append(" !", style="bold red")
        seconds = c.running_seconds(step.id)
        if seconds is not None:
            label.append(f" {seconds}s", style="yellow")
        return label

    def group_label(self, group_id: str) -> Text:
        """Phase/scenario title with `done/total`."""
        c = self.controller
        steps = c.steps_of(group_id)
        done, total = c.progress(steps)
        try:
            title = c.checklist.phase(group_id).title
        except KeyError:
            title = c.checklist.scenario(group_id).title
        style = "bold green" if total and done == total else "bold"
        return Text.assemble((title, style), (f"  {done}/{total}", "dim"))

    def refresh_labels(self, step_ids: list[str] | None = None) -> None:
        """Update the marks of these steps (default: all) and every group's `n/m`."""
        ids = step_ids if step_ids is not None else list(self._step_nodes)
        for step_id in ids:
            node = self._step_nodes.get(step_id)
            if node is not None:
                node.set_label(self.step_label(self.controller.step(step_id)))
        for group_id, node in self._group_nodes.items():
            node.set_label(self.group_label(group_id))

    def select_step(self, step_id: str) -> bool:
        """Move the cursor to a step (expanding its parents); False if not in this tree."""
        node = self._step_nodes.get(step_id)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        # Expanding changes line numbers only after the next refresh.
        self.call_after_refresh(self._move_to, node)
        self._move_to(node)
        return True

    def _move_to(self, node: TreeNode[NodeRef]) -> None:
        if node.line >= 0:
            self.move_cursor(node)

    @property
    def selected_step(self) -> str | None:
        """The step under the cursor (None on a phase or section line)."""
        node = self.cursor_node
        if node is None or node.data is None or node.data.kind != "step":
            return None
        return node.data.id
