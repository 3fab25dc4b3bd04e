package io.dbbudget.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for the server advisor.
 *
 * @author db-budget team
 */
@ConfigurationProperties("db.budget.advisor")
public class DbBudgetAdvisorProperties {

	/**
	 * Whether to check the server's settings and the pools' settings against each other, and
	 * advise at start-up, on the endpoint and in the health details.
	 */
	private boolean enabled = true;

	/**
	 * Names of the checks to silence: idle_in_transaction_session_timeout,
	 * idle_session_timeout, tcp_keepalives, statement_timeout, max-lifetime,
	 * leak-detection-threshold, idle-in-transaction-sessions.
	 */
	private List<String> ignore = new ArrayList<>();

	/**
	 * How long a session of this application may sit idle in a transaction before the advice
	 * names it.
	 */
	private Duration idleInTransactionAge = Duration.ofMinutes(1);

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public List<String> getIgnore() {
		return this.ignore;
	}

	public void setIgnore(List<String> ignore) {
		this.ignore = ignore;
	}

	public Duration getIdleInTransactionAge() {
		return this.idleInTransactionAge;
	}

	public void setIdleInTransactionAge(Duration idleInTransactionAge) {
		this.idleInTransactionAge = idleInTransactionAge;
	}

}
