package io.dbbudget.sample;

import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A couple of endpoints doing real queries, so that the pool has work to do.
 *
 * @author db-budget team
 */
@RestController
class GreetingsController {

	// Created on use rather than at start-up, so that the application starts while the
	// database is down, as db-budget lets it
	private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS greeting (id bigserial PRIMARY KEY, "
			+ "name text NOT NULL, created timestamptz NOT NULL DEFAULT now())";

	private final JdbcClient jdbc;

	GreetingsController(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	@GetMapping("/time")
	Map<String, Object> time() {
		return this.jdbc.sql("SELECT now() AS time, current_setting('application_name') AS application_name")
			.query()
			.singleRow();
	}

	@PostMapping("/greetings/{name}")
	@Transactional
	Map<String, Object> greet(@PathVariable String name) {
		this.jdbc.sql(CREATE_TABLE).update();
		this.jdbc.sql("INSERT INTO greeting (name) VALUES (?)").param(name).update();
		long count = this.jdbc.sql("SELECT count(*) FROM greeting WHERE name = ?")
			.param(name)
			.query(Long.class)
			.single();
		return Map.of("name", name, "greetings", count);
	}

	@GetMapping("/greetings")
	@Transactional
	List<Map<String, Object>> latest() {
		this.jdbc.sql(CREATE_TABLE).update();
		return this.jdbc
			.sql("SELECT name, count(*) AS greetings, max(created) AS latest FROM greeting GROUP BY name "
					+ "ORDER BY latest DESC LIMIT 10")
			.query()
			.listOfRows();
	}

}
