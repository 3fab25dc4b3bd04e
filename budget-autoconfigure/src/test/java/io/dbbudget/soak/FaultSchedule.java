package io.dbbudget.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * When each fault strikes and whom: every kind once in a fixed order, or a seeded random
 * schedule in which every kind comes once per shuffled round, so that the same seed replays
 * the same run.
 *
 * @param events the faults in the order they strike
 */
record FaultSchedule(List<Event> events) {

	// Long enough for the fleet to settle between two faults, measured from the previous
	// fault's end
	private static final Duration MIN_GAP = Duration.ofSeconds(8);

	private static final Duration MAX_GAP = Duration.ofSeconds(20);

	/**
	 * Every kind of fault once, in declaration order, a fixed gap apart.
	 * @param members how many members the fleet has
	 * @return the schedule
	 */
	static FaultSchedule oneOfEach(int members) {
		List<Event> events = new ArrayList<>();
		for (Fault fault : Fault.values()) {
			events.add(new Event(MIN_GAP, fault, events.size() % members));
		}
		return new FaultSchedule(events);
	}

	/**
	 * Faults in seeded random order and gaps until the duration is used up, counting each
	 * fault's own length.
	 * @param seed the seed
	 * @param duration the soak's length
	 * @param members how many members the fleet has
	 * @return the schedule
	 */
	static FaultSchedule random(long seed, Duration duration, int members) {
		Random random = new Random(seed);
		List<Event> events = new ArrayList<>();
		long used = 0;
		List<Fault> round = new ArrayList<>();
		while (true) {
			if (round.isEmpty()) {
				round.addAll(Arrays.asList(Fault.values()));
				Collections.shuffle(round, random);
			}
			Duration gap = MIN_GAP.plusMillis(random.nextLong(MAX_GAP.minus(MIN_GAP).toMillis() + 1));
			Fault fault = round.remove(0);
			used += gap.toMillis() + typicalLength(fault).toMillis();
			if (used > duration.toMillis()) {
				return new FaultSchedule(events);
			}
			events.add(new Event(gap, fault, random.nextInt(members)));
		}
	}

	private static Duration typicalLength(Fault fault) {
		return switch (fault) {
			case OUTAGE -> Duration.ofSeconds(8);
			case PAUSE_MEMBER -> Duration.ofSeconds(10);
			case KILL_MEMBER, FILL_SERVER -> Duration.ofSeconds(6);
			default -> Duration.ofSeconds(2);
		};
	}

	/**
	 * One fault.
	 *
	 * @param after how long after the previous fault ended it strikes
	 * @param fault what it is
	 * @param member the member it strikes, for faults that strike one
	 */
	record Event(Duration after, Fault fault, int member) {

	}

}
