package io.dbbudget.soak;

import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link FaultSchedule}.
 */
class FaultScheduleTests {

	@Test
	void oneOfEachStrikesEveryKindOnceInOrder() {
		FaultSchedule schedule = FaultSchedule.oneOfEach(4);
		assertThat(schedule.events()).extracting(FaultSchedule.Event::fault).containsExactly(Fault.values());
		assertThat(schedule.events()).allMatch((event) -> event.member() >= 0 && event.member() < 4);
	}

	@Test
	void theSameSeedReplaysTheSameSchedule() {
		assertThat(FaultSchedule.random(42, Duration.ofMinutes(10), 4))
			.isEqualTo(FaultSchedule.random(42, Duration.ofMinutes(10), 4))
			.isNotEqualTo(FaultSchedule.random(43, Duration.ofMinutes(10), 4));
	}

	@Test
	void tenMinutesHoldEveryKindAtLeastOnceAndNoMoreThanTheDuration() {
		for (long seed = 0; seed < 20; seed++) {
			FaultSchedule schedule = FaultSchedule.random(seed, Duration.ofMinutes(10), 4);
			assertThat(schedule.events()).extracting(FaultSchedule.Event::fault)
				.containsAll(Arrays.asList(Fault.values()));
			long gaps = schedule.events().stream().mapToLong((event) -> event.after().toMillis()).sum();
			assertThat(gaps).isLessThan(Duration.ofMinutes(10).toMillis());
			assertThat(schedule.events()).allMatch((event) -> event.after().compareTo(Duration.ofSeconds(8)) >= 0
					&& event.member() >= 0 && event.member() < 4);
		}
	}

}
