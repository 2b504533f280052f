# The project's commands; each one calls tools/pbd, which does the work.
.PHONY: setup demo demo-reset test test-upstream test-lifecycle lint bench load readme i18n

setup:
	tools/pbd setup

demo:
	tools/pbd demo

demo-reset:
	tools/pbd demo-reset

test:
	tools/pbd test

test-upstream:
	tools/pbd test-upstream

test-lifecycle:
	tools/pbd test-lifecycle

lint:
	tools/pbd lint

bench:
	tools/pbd bench $(SCENARIO)

load:
	tools/pbd load

readme:
	tools/pbd readme

i18n:
	tools/pbd i18n
