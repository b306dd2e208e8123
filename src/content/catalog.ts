/** The loaded content as the tutor's CourseCatalog port. */
import type { Course } from '../core/course.js';
import type { CourseCatalog } from '../core/ports.js';
import type { LoadedContent } from './load.js';

export class ContentCatalog implements CourseCatalog {
  constructor(private readonly content: Pick<LoadedContent, 'courses' | 'provinces'> & Partial<Pick<LoadedContent, 'formerProvinces'>>) {}

  get(courseId: string): Course | undefined {
    return this.content.courses.get(courseId);
  }

  provinces(list: string): readonly string[] {
    return this.content.provinces.get(this.listName(list)) ?? [];
  }

  formerProvinces(list: string): ReadonlyMap<string, string> {
    return this.content.formerProvinces?.get(this.listName(list)) ?? new Map();
  }

  /** A cohort naming a list the content lacks gets today's (`current`). */
  private listName(list: string): string {
    return this.content.provinces.has(list) ? list : 'current';
  }
}
