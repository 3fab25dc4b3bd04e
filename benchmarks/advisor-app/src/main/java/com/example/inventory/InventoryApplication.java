package com.example.inventory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * An ordinary "inventory" service: one endpoint that counts rows. Its pool keeps Hikari's
 * defaults; nothing in it knows of db-budget but the dependency.
 */
@SpringBootApplication
@RestController
public class InventoryApplication {

	private final JdbcTemplate jdbc;

	InventoryApplication(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	public static void main(String[] args) {
		SpringApplication.run(InventoryApplication.class, args);
	}

	@GetMapping("/items/count")
	Integer count() {
		return this.jdbc.queryForObject("SELECT count(*) FROM pg_class", Integer.class);
	}

}
