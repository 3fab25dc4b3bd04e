package io.dbbudget.fleet;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

/**
 * What members that have vanished from the group may still hold. A member whose coordination
 * session ended has not necessarily stopped: at its own next heartbeat it either joins again at
 * once, keeping its pools, or lowers them to {@code min-pool-size}, and until then its
 * connections are still open; after a server restart every member has vanished at once, and
 * the first to rejoin sees only itself. The others count what a vanished member last published
 * for two heartbeats from the turn that first missed it, and its floor and coordination
 * connection for ten, before they grow into its share: a member that is still alive has
 * rejoined by then, and one that crashed holds nothing. Members may run different heartbeats,
 * so the time is counted, in the longer of this member's heartbeat and the vanished member's
 * own: it is the vanished member's heartbeat that says when it notices, and this member's when
 * it looks again. A member that has not said its heartbeat is taken to run this member's.
 *
 * @author db-budget team
 */
final class VanishedMembers {

	private static final int LAST_PUBLISHED_HEARTBEATS = 2;

	private static final int FORGOTTEN_AFTER_HEARTBEATS = 10;

	private final Duration heartbeat;

	private final LongSupplier nanoTime;

	private final Map<Integer, Seen> lastSeen = new HashMap<>();

	/**
	 * Creates the record of a member that has seen no other yet.
	 * @param heartbeat how often this member takes its turn
	 */
	VanishedMembers(Duration heartbeat) {
		this(heartbeat, System::nanoTime);
	}

	VanishedMembers(Duration heartbeat, LongSupplier nanoTime) {
		this.heartbeat = heartbeat;
		this.nanoTime = nanoTime;
	}

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
		long now = this.nanoTime.getAsLong();
		Set<Integer> present = members.stream().map(FleetMember::slot).collect(Collectors.toSet());
		for (FleetMember member : members) {
			// A member that has just joined again has published nothing yet on its new session
			Seen before = this.lastSeen.get(member.slot());
			MemberState state = (member.state() != null) ? member.state() : (before != null) ? before.state() : null;
			Duration heartbeat = (member.heartbeat() != null) ? member.heartbeat()
					: (before != null) ? before.heartbeat() : null;
			this.lastSeen.put(member.slot(), new Seen(state, heartbeat, null));
		}
		int held = 0;
		for (Iterator<Map.Entry<Integer, Seen>> entries = this.lastSeen.entrySet().iterator(); entries.hasNext();) {
			Map.Entry<Integer, Seen> entry = entries.next();
			if (present.contains(entry.getKey())) {
				continue;
			}
			Seen seen = entry.getValue();
			if (seen.missedAt() == null) {
				seen = new Seen(seen.state(), seen.heartbeat(), now);
				entry.setValue(seen);
			}
			long away = now - seen.missedAt();
			long heartbeat = longer(seen.heartbeat()).toNanos();
			if (away >= FORGOTTEN_AFTER_HEARTBEATS * heartbeat) {
				entries.remove();
				continue;
			}
			int pools = (away >= LAST_PUBLISHED_HEARTBEATS * heartbeat) ? poolFloor
					: (seen.state() != null) ? Math.max(seen.state().allocation(), seen.state().held()) : unpublishedHold;
			held += pools + coordination;
		}
		return held;
	}

	private Duration longer(@Nullable Duration heartbeat) {
		return (heartbeat != null && heartbeat.compareTo(this.heartbeat) > 0) ? heartbeat : this.heartbeat;
	}

	/**
	 * What was last seen of a member.
	 *
	 * @param state what it last published, if anything
	 * @param heartbeat its heartbeat, if it said
	 * @param missedAt when a turn first missed it, or {@code null} while it is seen
	 */
	private record Seen(@Nullable MemberState state, @Nullable Duration heartbeat, @Nullable Long missedAt) {

	}

}
