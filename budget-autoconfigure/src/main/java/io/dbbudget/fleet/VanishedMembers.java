package io.dbbudget.fleet;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

/**
 * What members that have vanished from the group may still hold. A member whose coordination
 * session ended has not necessarily stopped: at its own next heartbeat it either joins again at
 * once, keeping its pools, or lowers them to {@code min-pool-size}, and until then its
 * connections are still open; after a server restart every member has vanished at once, and
 * the first to rejoin sees only itself. The others count what a vanished member last published
 * for two of their turns, and its floor and coordination connection for ten, before they grow
 * into its share: a member that is still alive has rejoined by then, and one that crashed holds
 * nothing.
 *
 * @author db-budget team
 */
final class VanishedMembers {

	private static final int LAST_PUBLISHED_TURNS = 2;

	private static final int FORGOTTEN_AFTER_TURNS = 10;

	private final Map<Integer, Seen> lastSeen = new HashMap<>();

	/**
	 * Records the members seen at this turn.
	 * @param members the members seen
	 * @param poolFloor what a member's pools hold at least while it is alive
	 * @param coordination the connections a member keeps for coordination, which it opens
	 * again to rejoin
	 * @param unpublishedHold what a member that publishes nothing (on a server where members
	 * cannot see each other's state) may hold: an equal share
	 * @return the connections that members seen before, but not now, may still hold
	 */
	int stillHeld(List<FleetMember> members, int poolFloor, int coordination, int unpublishedHold) {
		Set<Integer> present = members.stream().map(FleetMember::slot).collect(Collectors.toSet());
		for (FleetMember member : members) {
			Seen before = this.lastSeen.get(member.slot());
			MemberState state = (member.state() != null) ? member.state()
					: (before != null && before.state() != null) ? before.state() : null;
			this.lastSeen.put(member.slot(), new Seen(state, 0));
		}
		int held = 0;
		for (Iterator<Map.Entry<Integer, Seen>> entries = this.lastSeen.entrySet().iterator(); entries.hasNext();) {
			Map.Entry<Integer, Seen> entry = entries.next();
			if (present.contains(entry.getKey())) {
				continue;
			}
			Seen seen = entry.getValue();
			if (seen.turnsAway() >= FORGOTTEN_AFTER_TURNS) {
				entries.remove();
				continue;
			}
			int pools = (seen.turnsAway() >= LAST_PUBLISHED_TURNS) ? poolFloor
					: (seen.state() != null) ? Math.max(seen.state().allocation(), seen.state().held()) : unpublishedHold;
			held += pools + coordination;
			entry.setValue(new Seen(seen.state(), seen.turnsAway() + 1));
		}
		return held;
	}

	private record Seen(@Nullable MemberState state, int turnsAway) {

	}

}
