export { DateTimeResolver as DateTime, LocalDateResolver as LocalDate } from 'graphql-scalars';
