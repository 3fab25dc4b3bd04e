package io.dbbudget.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link FleetView}'s messages: the heartbeats the reader sends with the members, and
 * what members of the previous version read from the same messages.
 */
class FleetViewTests {

	private static final Duration HEARTBEAT = Duration.ofSeconds(5);

	private static final Duration SLOW = Duration.ofMillis(12_400);

	@Test
	void theReaderSendsEveryMembersHeartbeatAndTheOthersTakeItIn() {
		List<String> sent = readerSnapshot();
		assertThat(sent).containsExactly("S1/1 0:4:4:8;~0=50;1:2:2:6;~1=124;2:");
		FleetView follower = new FleetView(1, SLOW, () -> 0);
		sent.forEach(follower::receive);
		assertThat(follower.members()).containsExactly(new FleetMember(0, new MemberState(4, 4, 8), HEARTBEAT),
				new FleetMember(1, new MemberState(2, 2, 6), SLOW), new FleetMember(2, null));
		// A member's growth says nothing of its heartbeat, which stays as the reader sent it
		follower.receive("G 0:9:9:9");
		assertThat(follower.members()).contains(new FleetMember(0, new MemberState(9, 9, 9), HEARTBEAT));
	}

	@Test
	void heartbeatsThatAreNotDbBudgetsOrOfNoMemberAreIgnored() {
		FleetView follower = new FleetView(1, SLOW, () -> 0);
		follower.receive("S1/1 0:4:4:8;~0=-5;~0=0;~=3;~0=;~0=1234567890;~9=50;1:2:2:6;~1=124");
		assertThat(follower.members()).containsExactly(new FleetMember(0, new MemberState(4, 4, 8)),
				new FleetMember(1, new MemberState(2, 2, 6), SLOW));
	}

	@Test
	void membersOfThePreviousVersionReadTheSameMembersFromASnapshotWithHeartbeats() {
		String body = readerSnapshot().get(0).substring("S1/1 ".length());
		Map<Integer, @Nullable MemberState> withHeartbeats = previousVersionParse(body);
		Map<Integer, @Nullable MemberState> withoutHeartbeats = previousVersionParse(body.replaceAll(";~\\d+=\\d+", ""));
		assertThat(withHeartbeats).isEqualTo(withoutHeartbeats)
			.containsOnlyKeys(0, 1, 2)
			.containsEntry(0, new MemberState(4, 4, 8))
			.containsEntry(1, new MemberState(2, 2, 6))
			.containsEntry(2, null);
	}

	// The reader at slot 0 on 5 s, a member at slot 1 on 12.4 s, and one at slot 2 that has
	// said nothing, an older version or one that has just joined
	private static List<String> readerSnapshot() {
		FleetView reader = new FleetView(0, HEARTBEAT, () -> 0);
		reader.becameReader();
		reader.read(List.of(new FleetMember(0, null, HEARTBEAT), new FleetMember(1, new MemberState(2, 2, 6), SLOW),
				new FleetMember(2, null)), Set.of());
		return reader.decided(new MemberState(4, 4, 8));
	}

	// The snapshot's entries as the previous version (the 2026-11-27 snapshot) parses them, copied
	// from its FleetView.parseInto: an entry whose slot is not a number throws and is skipped, as
	// "~<slot>=<deciseconds>" is; an entry of other than four fields would read as a member that
	// published nothing, which is why the heartbeat is not a fifth field. The version between,
	// which checks each count, skips it too: its slot is not a count
	private static Map<Integer, @Nullable MemberState> previousVersionParse(String entries) {
		Map<Integer, @Nullable MemberState> into = new TreeMap<>();
		for (String entry : entries.split(";")) {
			if (entry.isEmpty()) {
				continue;
			}
			boolean silent = entry.endsWith("!");
			String[] fields = (silent ? entry.substring(0, entry.length() - 1) : entry).split(":", -1);
			try {
				MemberState state = (fields.length == 4) ? new MemberState(Integer.parseInt(fields[1]),
						Integer.parseInt(fields[2]), Integer.parseInt(fields[3])) : null;
				into.put(Integer.parseInt(fields[0]), state);
			}
			catch (NumberFormatException ex) {
				// Not sent by db-budget: the channel's name is the only guard against other senders
			}
		}
		return into;
	}

}
