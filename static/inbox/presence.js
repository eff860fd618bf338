// The header: the teams' open/away state and the agent's own presence.
import { api } from "./api.js";
import { socket } from "./connection.js";
import { $, el, toast } from "./dom.js";
import { boot } from "./store.js";

export function renderTeams() {
  const list = $("team-status");
  list.replaceChildren();
  for (const team of boot.team_status) {
    let text = `${team.name}: ${team.state}`;
    if (team.state !== "open" && team.next_open) {
      text += ` until ${new Date(team.next_open).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" })}`;
    }
    list.append(el("li", { className: `team-chip team-${team.state}`, text }));
  }
}

export function setPresence(availability) {
  $("presence").value = availability;
  $("presence-dot").className = `presence-dot presence-${availability}`;
}

/** A presence frame: another agent's (shown in the assignee list) or one's own, from another tab. */
export function presenceChanged(frame) {
  const agent = boot.agents.find((a) => a.id === frame.agent.id);
  if (agent) agent.availability = frame.availability;
  if (frame.agent.id === boot.me.id) setPresence(frame.availability);
}

export function setupPresence() {
  $("presence").addEventListener("change", async (event) => {
    const availability = event.target.value;
    if (!socket.send({ type: "presence.set", availability })) {
      try {
        const result = await api("presence/", { method: "POST", body: { availability } });
        setPresence(result.availability);
      } catch (error) {
        toast(error.message);
      }
    }
  });
}
