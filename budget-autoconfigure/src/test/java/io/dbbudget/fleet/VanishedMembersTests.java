package io.dbbudget.fleet;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VanishedMembers}: how long a member counts what a vanished member may still
 * hold, on a clock the test moves.
 */
class VanishedMembersTests {

	private static final int FLOOR = 2;

	private static final int COORDINATION = 1;

	private static final int UNPUBLISHED = 7;

	private final AtomicLong now = new AtomicLong();

	@Test
	void aFastMemberCountsASlowMemberThatVanishedByTheSlowMembersHeartbeat() {
		VanishedMembers vanished = new VanishedMembers(Duration.ofSeconds(1), this.now::get);
		FleetMember self = new FleetMember(0, new MemberState(4, 4, 8), Duration.ofSeconds(1));
		FleetMember slow = new FleetMember(1, new MemberState(20, 20, 30), Duration.ofSeconds(10));
		assertThat(turn(vanished, 0, self, slow)).isZero();
		// Its session ended: it notices at its own next heartbeat, up to 10 s later, and is back
		// within 5 s more. Its last state counts at every turn of this member's for 20 s
		for (int second = 1; second <= 20; second++) {
			assertThat(turn(vanished, second, self)).as("at %d s", second).isEqualTo(30 + COORDINATION);
		}
		// Then its floor and coordination connection, until 100 s after it was first missed
		assertThat(turn(vanished, 21, self)).isEqualTo(FLOOR + COORDINATION);
		assertThat(turn(vanished, 100, self)).isEqualTo(FLOOR + COORDINATION);
		assertThat(turn(vanished, 101, self)).isZero();
	}

	@Test
	void membersOfOneHeartbeatCountAVanishedMemberForTwoTurnsThenItsFloorForEight() {
		VanishedMembers vanished = new VanishedMembers(Duration.ofSeconds(5), this.now::get);
		FleetMember self = new FleetMember(0, new MemberState(4, 4, 8), Duration.ofSeconds(5));
		FleetMember other = new FleetMember(1, new MemberState(6, 9, 6), Duration.ofSeconds(5));
		turn(vanished, 0, self, other);
		assertThat(turn(vanished, 5, self)).isEqualTo(9 + COORDINATION);
		assertThat(turn(vanished, 10, self)).isEqualTo(9 + COORDINATION);
		for (int second = 15; second <= 50; second += 5) {
			assertThat(turn(vanished, second, self)).as("at %d s", second).isEqualTo(FLOOR + COORDINATION);
		}
		assertThat(turn(vanished, 55, self)).isZero();
	}

	@Test
	void aSlowMemberCountsAFastMemberThatVanishedForTwoOfItsOwnTurns() {
		VanishedMembers vanished = new VanishedMembers(Duration.ofSeconds(10), this.now::get);
		FleetMember self = new FleetMember(0, new MemberState(4, 4, 8), Duration.ofSeconds(10));
		FleetMember fast = new FleetMember(1, new MemberState(6, 6, 6), Duration.ofSeconds(1));
		turn(vanished, 0, self, fast);
		assertThat(turn(vanished, 10, self)).isEqualTo(6 + COORDINATION);
		assertThat(turn(vanished, 20, self)).isEqualTo(6 + COORDINATION);
		assertThat(turn(vanished, 30, self)).isEqualTo(FLOOR + COORDINATION);
	}

	@Test
	void aMemberThatHasNotSaidItsHeartbeatIsTakenToRunThisMembers() {
		VanishedMembers vanished = new VanishedMembers(Duration.ofSeconds(1), this.now::get);
		FleetMember self = new FleetMember(0, new MemberState(4, 4, 8));
		turn(vanished, 0, self, new FleetMember(1, new MemberState(6, 6, 6)), new FleetMember(2, null));
		assertThat(turn(vanished, 1, self)).isEqualTo(6 + UNPUBLISHED + 2 * COORDINATION);
		assertThat(turn(vanished, 2, self)).isEqualTo(6 + UNPUBLISHED + 2 * COORDINATION);
		assertThat(turn(vanished, 3, self)).isEqualTo(2 * (FLOOR + COORDINATION));
	}

	@Test
	void aMemberThatJoinedAgainKeepsWhatItSaidOnItsFormerSessionUntilItSaysItAgain() {
		VanishedMembers vanished = new VanishedMembers(Duration.ofSeconds(1), this.now::get);
		FleetMember self = new FleetMember(0, new MemberState(4, 4, 8), Duration.ofSeconds(1));
		turn(vanished, 0, self, new FleetMember(1, new MemberState(20, 20, 30), Duration.ofSeconds(10)));
		// Seen again on a new session that has neither published nor said its heartbeat yet
		turn(vanished, 1, self, new FleetMember(1, null));
		assertThat(turn(vanished, 2, self)).isEqualTo(30 + COORDINATION);
		assertThat(turn(vanished, 10, self)).isEqualTo(30 + COORDINATION);
		assertThat(turn(vanished, 21, self)).isEqualTo(30 + COORDINATION);
		assertThat(turn(vanished, 22, self)).isEqualTo(FLOOR + COORDINATION);
	}

	private int turn(VanishedMembers vanished, int second, FleetMember... members) {
		this.now.set(Duration.ofSeconds(second).toNanos());
		return vanished.stillHeld(List.of(members), FLOOR, COORDINATION, UNPUBLISHED);
	}

}
