package io.dbbudget.pool;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.scheduling.BackgroundScheduler;

/**
 * Asks the server for its limits and settings in the background, backing off, until it
 * answers: start-up never waits for a server that is down.
 *
 * @author db-budget team
 */
final class PlanCompleter implements AutoCloseable {

	private static final Duration FIRST_RETRY_DELAY = Duration.ofSeconds(1);

	private static final Duration LONGEST_RETRY_DELAY = Duration.ofSeconds(30);

	private final ScheduledExecutorService executor = BackgroundScheduler.create("db-budget-plan");

	private final ServerProbe probe;

	private final Consumer<ServerSettings> settingsRead;

	private final Consumer<ServerReading> completion;

	PlanCompleter(ServerProbe probe, Consumer<ServerSettings> settingsRead, Consumer<ServerReading> completion) {
		this.probe = probe;
		this.settingsRead = settingsRead;
		this.completion = completion;
	}

	void start() {
		schedule(FIRST_RETRY_DELAY);
	}

	private void schedule(Duration delay) {
		this.executor.schedule(BackgroundScheduler.guarded("completing the plan", () -> attempt(delay)),
				delay.toMillis(), TimeUnit.MILLISECONDS);
	}

	private void attempt(Duration delay) {
		try {
			this.completion.accept(this.probe.read(this.settingsRead));
		}
		catch (SQLException ex) {
			retry(delay);
			return;
		}
		catch (RuntimeException ex) {
			// Were it shut down now, the pools would stay at min-pool-size for good: ask again
			// later, and let the scheduler log the failure
			retry(delay);
			throw ex;
		}
		this.executor.shutdown();
	}

	private void retry(Duration delay) {
		Duration next = delay.multipliedBy(2);
		schedule((next.compareTo(LONGEST_RETRY_DELAY) > 0) ? LONGEST_RETRY_DELAY : next);
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
