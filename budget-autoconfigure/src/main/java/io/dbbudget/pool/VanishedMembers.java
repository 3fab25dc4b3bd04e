package io.dbbudget.pool;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.dbbudget.server.FleetMembership.FleetMember;
import io.dbbudget.server.MemberState;

/**
 * What members that have just vanished from the group may still hold. A member whose
 * coordination session ended has not necessarily stopped: it lowers its pools to
 * {@code min-pool-size} at its own next heartbeat, and until then its connections are still
 * open. The others count what it last published for two of their turns before they grow into
 * its share; what it keeps after that fits in the room kept for joiners, as it rejoins like one.
 *
 * @author db-budget team
 */
final class VanishedMembers {

	private static final int GRACE_TURNS = 2;

	private final Map<Integer, Seen> lastSeen = new HashMap<>();

	/**
	 * Records the members seen at this turn.
	 * @param members the members seen
	 * @return the connections that members seen before, but not now, may still hold
	 */
	int stillHeld(List<FleetMember> members) {
		Set<Integer> present = members.stream().map(FleetMember::slot).collect(Collectors.toSet());
		for (FleetMember member : members) {
			if (member.state() != null) {
				this.lastSeen.put(member.slot(), new Seen(member.state(), 0));
			}
		}
		int held = 0;
		for (Iterator<Map.Entry<Integer, Seen>> entries = this.lastSeen.entrySet().iterator(); entries.hasNext();) {
			Map.Entry<Integer, Seen> entry = entries.next();
			if (present.contains(entry.getKey())) {
				continue;
			}
			Seen seen = entry.getValue();
			if (seen.turnsAway() >= GRACE_TURNS) {
				entries.remove();
				continue;
			}
			held += Math.max(seen.state().allocation(), seen.state().held());
			entry.setValue(new Seen(seen.state(), seen.turnsAway() + 1));
		}
		return held;
	}

	private record Seen(MemberState state, int turnsAway) {

	}

}
