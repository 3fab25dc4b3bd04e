package io.dbbudget.retry;

import java.time.Duration;

import io.dbbudget.budget.InvalidBudgetException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link RetrySettings}.
 */
class RetrySettingsTests {

	@Test
	void longestWaitAddsEveryAttemptsTimeoutAndEveryBackOffAtItsLongest() {
		RetrySettings settings = new RetrySettings(5, Duration.ofMillis(500), 2.0, Duration.ofSeconds(30), false);
		// 5 x 30 s + 0.5 + 1 + 2 + 4 s
		assertThat(settings.longestWait(Duration.ofSeconds(30))).isEqualTo(Duration.ofMillis(157_500));
	}

	@Test
	void longestWaitCountsJitterAndTheLargestBackOff() {
		RetrySettings settings = new RetrySettings(4, Duration.ofSeconds(1), 10, Duration.ofSeconds(5), true);
		// 4 x 1 s + (1 + 0.5) + min(5, 10 + 5) + min(5, 100 + 50) s
		assertThat(settings.longestWait(Duration.ofSeconds(1))).isEqualTo(Duration.ofMillis(15_500));
	}

	@Test
	void oneAttemptNeverWaitsBeyondItsTimeout() {
		RetrySettings settings = new RetrySettings(1, Duration.ofMillis(500), 2.0, Duration.ofSeconds(30), true);
		assertThat(settings.longestWait(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
	}

	@Test
	void invalidValuesAreRefusedNamingTheProperty() {
		Duration second = Duration.ofSeconds(1);
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new RetrySettings(0, second, 2, second, true))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.retry.max-attempts"));
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new RetrySettings(3, second, 0.5, second, true))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.retry.multiplier"));
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new RetrySettings(3, Duration.ZERO, 2, second, true))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.retry.initial-interval"));
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new RetrySettings(3, second, 2, Duration.ofMillis(10), true))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.retry.max-interval"));
	}

}
